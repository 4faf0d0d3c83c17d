#include "oddigit/drawing.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>
#include <sstream>

#include "folder_listing.h"
#include "oddigit/atomic_file.h"
#include "oddigit/error.h"

namespace oddigit {

namespace {

using nlohmann::json;

// Ink is drawn at 4x sub-pixel precision (OpenCV's shift), so curves keep their shape.
constexpr int kSubPixelShift = 2;
constexpr double kSubPixels = 1 << kSubPixelShift;
constexpr float kLargestScale = 64;
// Bounds a drawing file must keep: far beyond any hand, so a hostile file cannot make the
// renderer work for minutes.
constexpr size_t kMostPoints = 1'000'000;
constexpr double kLargestPaper = 100'000;

void fit_background(const GrayImage& background, cv::Mat& paper) {
    const cv::Mat source(background.height, background.width, CV_8UC1, const_cast<uint8_t*>(background.pixels.data()));
    const double fit = std::min(static_cast<double>(paper.cols) / source.cols, static_cast<double>(paper.rows) / source.rows);
    const cv::Size fitted(std::max(1, static_cast<int>(source.cols * fit)), std::max(1, static_cast<int>(source.rows * fit)));
    cv::Mat scaled;
    cv::resize(source, scaled, fitted, 0, 0, fit < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
    scaled.copyTo(paper(cv::Rect((paper.cols - fitted.width) / 2, (paper.rows - fitted.height) / 2, fitted.width, fitted.height)));
}

int paper_side(float scale) {
    if (!(scale > 0 && scale <= kLargestScale)) throw Error("a drawing renders at a scale in (0, 64], not " + std::to_string(scale));
    return std::max(1, static_cast<int>(std::lround(kPaperSide * scale)));
}

// The shortest text that reads back as the same float.
std::string number_text(float value) {
    char text[32];
    const auto written = std::to_chars(text, text + sizeof text, value);
    return std::string(text, written.ptr);
}

[[noreturn]] void refuse(const std::string& path, const std::string& reason) {
    throw Error("cannot read the drawing '" + path + "': " + reason);
}

double number_in(const json& value, const std::string& what, const std::string& path, double lowest, double highest) {
    if (!value.is_number()) refuse(path, what + " is not a number");
    const double number = value.get<double>();
    if (!std::isfinite(number) || number < lowest || number > highest)
        refuse(path, what + " is " + value.dump() + ", outside [" + number_text(static_cast<float>(lowest)) + ", " +
                         number_text(static_cast<float>(highest)) + "]");
    return number;
}

PenStroke stroke_of(const json& entry, float pen, float scale, size_t index, const std::string& path) {
    const std::string name = "stroke " + std::to_string(index + 1);
    PenStroke stroke;
    stroke.width = pen;
    const json* points = &entry;
    if (entry.is_object()) {
        if (!entry.contains("points")) refuse(path, name + " has no \"points\"");
        points = &entry.at("points");
        if (entry.contains("pen"))
            stroke.width = static_cast<float>(number_in(entry.at("pen"), name + "'s pen", path, 1e-3, kPaperSide / scale)) * scale;
    }
    if (!points->is_array() || points->empty()) refuse(path, name + " is not a list of [x, y] points");
    for (const json& point : *points) {
        if (!point.is_array() || point.size() != 2) refuse(path, name + " has a point that is not [x, y]");
        const double x = number_in(point[0], name + "'s x", path, -kLargestPaper, kLargestPaper);
        const double y = number_in(point[1], name + "'s y", path, -kLargestPaper, kLargestPaper);
        stroke.points.push_back({static_cast<float>(x * scale), static_cast<float>(y * scale)});
    }
    return stroke;
}

std::string points_text(const PenStroke& stroke) {
    std::string text = "[";
    for (size_t i = 0; i < stroke.points.size(); ++i)
        text += (i ? ", [" : "[") + number_text(stroke.points[i][0]) + ", " + number_text(stroke.points[i][1]) + "]";
    return text + "]";
}

}  // namespace

GrayImage render_drawing(const Drawing& drawing, float scale, int skip_stroke) {
    const int side = paper_side(scale);
    GrayImage image{side, side, std::vector<uint8_t>(static_cast<size_t>(side) * side, 255)};
    if (drawing.scanned()) {
        cv::Mat paper(side, side, CV_8UC1, image.pixels.data());
        fit_background(drawing.background, paper);
    }
    for (size_t i = 0; i < drawing.strokes.size(); ++i)
        if (static_cast<int>(i) != skip_stroke) draw_stroke(image, drawing.strokes[i], scale);
    return image;
}

void draw_stroke(GrayImage& image, const PenStroke& stroke, float scale, size_t first) {
    const int side = paper_side(scale);
    if (image.width != side || image.height != side || image.pixels.size() != static_cast<size_t>(side) * side)
        throw Error("a drawing's paper at scale " + std::to_string(scale) + " is " + std::to_string(side) + " pixels a side");
    cv::Mat paper(side, side, CV_8UC1, image.pixels.data());
    // OpenCV's widest line (cv::line throws beyond it): a pen as wide as the paper at the largest
    // scale stays under it.
    constexpr double kWidestLine = 32767;
    if (!(stroke.width > 0 && stroke.width * scale <= kWidestLine))
        throw Error("a pen of " + std::to_string(stroke.width) + " paper pixels cannot be drawn at scale " + std::to_string(scale));
    const int thickness = std::max(1, static_cast<int>(std::lround(stroke.width * scale)));
    const auto at = [&](const std::array<float, 2>& p) {
        return cv::Point(static_cast<int>(std::lround(p[0] * scale * kSubPixels)),
                         static_cast<int>(std::lround(p[1] * scale * kSubPixels)));
    };
    if (stroke.points.size() == 1 && first == 0)
        cv::line(paper, at(stroke.points[0]), at(stroke.points[0]), 0, thickness, cv::LINE_AA, kSubPixelShift);
    for (size_t i = std::max<size_t>(first, 1); i < stroke.points.size(); ++i)
        cv::line(paper, at(stroke.points[i - 1]), at(stroke.points[i]), 0, thickness, cv::LINE_AA, kSubPixelShift);
}

Image28 drawing_input(const Drawing& drawing, int skip_stroke, MnistPlacement* placement) {
    return to_mnist(render_drawing(drawing, 1, skip_stroke), {}, placement);
}

Drawing read_drawing(const std::string& path) {
    std::ifstream file(path);
    if (!file) refuse(path, "it cannot be opened");
    // A drawing nests five deep (the file, its strokes, a stroke, its points, a point): deeper
    // lists are refused as they are read, so a file of nested brackets is not built whole
    // (fuzz_drawing's 48 KB of them: about 0.3 s under the sanitizers before, 6 ms now).
    constexpr int kDeepestNesting = 8;
    const auto shallow = [&path](int depth, json::parse_event_t, json&) {
        if (depth > kDeepestNesting) refuse(path, "it nests lists deeper than a drawing does");
        return true;
    };
    const json root = json::parse(file, shallow, false);
    if (root.is_discarded()) refuse(path, "it is not JSON");
    if (!root.is_object() || !root.contains("strokes")) refuse(path, "it has no \"strokes\" (see oddigit/drawing.h for the format)");
    const float paper = root.contains("paper") ? static_cast<float>(number_in(root.at("paper"), "the paper", path, 1, kLargestPaper)) : kPaperSide;
    const float scale = kPaperSide / paper;
    const float pen = root.contains("pen") ? static_cast<float>(number_in(root.at("pen"), "the pen", path, 1e-3, paper)) * scale
                                           : kDefaultPenWidth;
    const json& strokes = root.at("strokes");
    if (!strokes.is_array()) refuse(path, "\"strokes\" is not a list");
    Drawing drawing;
    size_t points = 0;
    for (size_t i = 0; i < strokes.size(); ++i) {
        drawing.strokes.push_back(stroke_of(strokes[i], pen, scale, i, path));
        points += drawing.strokes.back().points.size();
        if (points > kMostPoints) refuse(path, "it has more than " + std::to_string(kMostPoints) + " points");
    }
    return drawing;
}

void write_drawing(const std::string& path, const Drawing& drawing) {
    if (drawing.scanned()) throw Error("cannot save '" + path + "': an opened image is not strokes");
    const float pen = drawing.strokes.empty() ? kDefaultPenWidth : drawing.strokes.front().width;
    std::string text = "{\"paper\": " + std::to_string(kPaperSide) + ", \"pen\": " + number_text(pen) + ", \"strokes\": [";
    for (size_t i = 0; i < drawing.strokes.size(); ++i) {
        const PenStroke& stroke = drawing.strokes[i];
        text += i ? ",\n  " : "\n  ";
        text += stroke.width == pen ? points_text(stroke)
                                    : "{\"pen\": " + number_text(stroke.width) + ", \"points\": " + points_text(stroke) + "}";
    }
    write_text_atomically(path, text + "\n]}\n");
}

std::vector<std::string> drawing_files(const std::string& path) {
    namespace fs = std::filesystem;
    std::error_code error;
    if (!fs::exists(path, error)) throw Error("'" + path + "' does not exist");
    if (!fs::is_directory(path, error)) return {path};
    std::vector<std::string> files;
    for (const fs::path& file : detail::list_folder(path, {".json"}).files) files.push_back(file.string());
    std::sort(files.begin(), files.end());
    if (files.empty()) throw Error("no drawing files (.json) in the folder '" + path + "'");
    return files;
}

DrawingJudgement judge_drawing(const AnomalyModel& model, const Drawing& drawing) {
    DrawingJudgement judged;
    judged.input = drawing.scanned() ? InputKind::Scanned : InputKind::Drawn;
    judged.model_input = drawing_input(drawing, -1, &judged.placement);
    judged.blank = judged.placement.scale == 0;
    if (judged.blank) return judged;
    // One batch: the drawing, then the drawing without each stroke in turn.
    ImageBatch batch;
    batch.append(judged.model_input.data());
    const int strokes = drawing.scanned() ? 0 : static_cast<int>(drawing.strokes.size());
    if (strokes > 1)
        for (int i = 0; i < strokes; ++i) batch.append(drawing_input(drawing, i).data());
    ScoreParams params;
    params.input = judged.input;
    std::vector<ImageScore> scores = model.score(batch, params);
    judged.score = std::move(scores.front());
    const std::vector<ScoreFigures> without(scores.begin() + 1, scores.end());
    const StrokeBlame blame = blame_strokes(judged.score, without);
    const Calibration& calibration = calibration_for(model.info(), judged.input);
    judged.verdict = judge(judged.score, without, blame, calibration);
    judged.verdict_text = verdict_text(model.info(), judged.verdict);
    judged.outlined_stroke = blame.outlined;
    for (size_t i = 0; i < without.size(); ++i) judged.strokes.push_back({blame.shares[i], without[i]});
    judged.percentile = calibration.percentile(judged.score.score);
    return judged;
}

}  // namespace oddigit
