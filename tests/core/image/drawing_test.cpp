// The drawing: its renderer, its file, and the verdict judge_drawing() gives the bundled model's
// users, on strokes written in the test (tests/support/test_drawings.h).
#include "oddigit/drawing.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "oddigit/error.h"
#include "oddigit/score.h"
#include "test_drawings.h"
#include "test_support.h"

namespace oddigit {
namespace {

uint8_t paper_at(const GrayImage& image, int x, int y) { return image.pixels[static_cast<size_t>(y) * image.width + x]; }

Drawing drawing_of(const test::TestDrawing& test_drawing, float pen = kDefaultPenWidth) {
    Drawing drawing;
    for (const test::Polyline& line : test_drawing.strokes) drawing.strokes.push_back({line, pen});
    return drawing;
}

void write_file(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

TEST(RenderDrawing, DrawsARoundPenOnWhitePaper) {
    const Drawing drawing{{{{{100, 140}, {180, 140}}, 20}}, {}};
    const GrayImage image = render_drawing(drawing);
    ASSERT_EQ(image.width, kPaperSide);
    ASSERT_EQ(image.height, kPaperSide);
    EXPECT_EQ(paper_at(image, 140, 140), 0);     // on the line
    EXPECT_EQ(paper_at(image, 140, 131), 0);     // within half the pen width
    EXPECT_EQ(paper_at(image, 140, 152), 255);   // beyond it
    EXPECT_EQ(paper_at(image, 92, 140), 0);      // the round cap reaches past the end point
    EXPECT_EQ(paper_at(image, 92, 131), 255);    // but not into the corner a square cap would fill
    EXPECT_EQ(paper_at(image, 10, 10), 255);
    // At twice the scale, the same ink at twice the coordinates: the screen's view of the drawing.
    const GrayImage large = render_drawing(drawing, 2);
    ASSERT_EQ(large.width, 2 * kPaperSide);
    EXPECT_EQ(paper_at(large, 280, 280), 0);
    EXPECT_EQ(paper_at(large, 280, 304), 255);
    EXPECT_THROW(render_drawing(drawing, 0), Error);
    EXPECT_THROW(render_drawing(drawing, 100), Error);
}

// The canvas adds a moving pen's points as they come, a stroke starting as a dot of two points;
// the pixels are those of the whole drawing rendered at once, so the screen shows the ink the
// model is given.
TEST(RenderDrawing, APenDrawnPointByPointGivesTheWholeDrawingsPixels) {
    const Drawing whole = drawing_of(test::kZigzagSeven);
    for (const float scale : {1.0f, 2.37f}) {
        GrayImage paper = render_drawing(Drawing{}, scale);
        for (const PenStroke& stroke : whole.strokes) {
            PenStroke pen{{stroke.points[0], stroke.points[1]}, stroke.width};
            draw_stroke(paper, pen, scale);
            for (size_t i = 2; i < stroke.points.size(); ++i) {
                pen.points.push_back(stroke.points[i]);
                draw_stroke(paper, pen, scale, i);
            }
        }
        EXPECT_EQ(paper.pixels, render_drawing(whole, scale).pixels) << "scale " << scale;
    }
    GrayImage wrong_size = render_drawing(whole, 1);
    EXPECT_THROW(draw_stroke(wrong_size, whole.strokes.front(), 2), Error);
}

TEST(RenderDrawing, LeavesOutTheStrokeAskedAndFitsAnOpenedImageUnderTheStrokes) {
    const Drawing seven = drawing_of(test::kSeven);
    EXPECT_EQ(render_drawing(seven, 1, 1).pixels, render_drawing(drawing_of({"top", {test::kSevenTop}})).pixels);
    Drawing scan;
    scan.background = GrayImage{2, 1, {0, 255}};  // a black and a white pixel, fitted into the paper
    const GrayImage fitted = render_drawing(scan);
    EXPECT_EQ(paper_at(fitted, 10, kPaperSide / 2), 0);
    EXPECT_EQ(paper_at(fitted, kPaperSide - 10, kPaperSide / 2), 255);
    EXPECT_EQ(paper_at(fitted, 10, 10), 255) << "outside the fitted image is paper";
    EXPECT_TRUE(scan.scanned());
}

TEST(DrawingFile, KeepsEveryStrokeAndPenAndReadsOtherPapers) {
    const std::string path = test::scratch_dir() + "/drawing.json";
    Drawing drawing = drawing_of(test::kZigzagSeven);
    drawing.strokes[1].width = 12.5f;  // a tablet's pressure gives a stroke a pen of its own
    drawing.strokes[2].points[3] = {115.3f, 215.7f};
    write_drawing(path, drawing);
    const Drawing read = read_drawing(path);
    ASSERT_EQ(read.strokes.size(), drawing.strokes.size());
    for (size_t i = 0; i < read.strokes.size(); ++i) {
        EXPECT_EQ(read.strokes[i].points, drawing.strokes[i].points) << i;
        EXPECT_EQ(read.strokes[i].width, drawing.strokes[i].width) << i;
    }
    EXPECT_EQ(render_drawing(read).pixels, render_drawing(drawing).pixels);

    // The issue's format, on a paper of half the size: scaled to the app's.
    write_file(path, R"({"paper": 140, "pen": 9, "strokes": [[[40, 30], [100, 30]], [[100, 30], [62.5, 112.5]]]})");
    const Drawing half = read_drawing(path);
    ASSERT_EQ(half.strokes.size(), 2u);
    EXPECT_EQ(half.strokes[1].points.back(), (std::array<float, 2>{125, 225}));
    EXPECT_EQ(half.strokes[0].width, 18);

    Drawing scan;
    scan.background = GrayImage{1, 1, {0}};
    EXPECT_THROW(write_drawing(path, scan), Error) << "an opened image is no stroke";
}

TEST(DrawingFile, RefusesAMalformedFileSayingWhatIsWrong) {
    const std::string path = test::scratch_dir() + "/bad-drawing.json";
    const auto refusal = [&](const std::string& text) {
        write_file(path, text);
        try {
            read_drawing(path);
        } catch (const Error& error) {
            return std::string(error.what());
        }
        return std::string("accepted");
    };
    EXPECT_NE(refusal("{\"strokes\": [[[1, 2]").find("not JSON"), std::string::npos);
    EXPECT_NE(refusal("{\"paper\": 280}").find("no \"strokes\""), std::string::npos);
    // Found by fuzz_drawing (a timeout): lists nested far deeper than a drawing's.
    EXPECT_NE(refusal("{\"strokes\": " + std::string(100000, '[')).find("nests lists deeper"), std::string::npos);
    EXPECT_NE(refusal("{\"strokes\": [[[1, 2, 3]]]}").find("stroke 1 has a point that is not [x, y]"), std::string::npos);
    EXPECT_NE(refusal("{\"strokes\": [[[1, 2]], []]}").find("stroke 2 is not a list"), std::string::npos);
    EXPECT_NE(refusal("{\"strokes\": [[[1, \"2\"]]]}").find("stroke 1's y is not a number"), std::string::npos);
    EXPECT_NE(refusal("{\"paper\": 0, \"strokes\": []}").find("the paper is 0"), std::string::npos);
    EXPECT_NE(refusal("{\"pen\": -3, \"strokes\": []}").find("the pen is -3"), std::string::npos);
    EXPECT_NE(refusal("{\"strokes\": [[[1e300, 2]]]}").find("outside"), std::string::npos);
    EXPECT_NE(refusal("{\"strokes\": [{\"pen\": 4}]}").find("no \"points\""), std::string::npos);
    // Found by fuzz_drawing: a pen wider than OpenCV draws ended the process from inside cv::line.
    EXPECT_NE(refusal("{\"strokes\": [{\"points\": [[80, 20]], \"pen\":99274}]}").find("stroke 1's pen is 99274"), std::string::npos);
    EXPECT_NE(refusal("{\"pen\": 281, \"strokes\": []}").find("the pen is 281, outside"), std::string::npos);
    EXPECT_NE(refusal("{\"paper\": 1000, \"pen\": 1000, \"strokes\": [[[5, 5]]]}").find("accepted"), std::string::npos)
        << "a pen as wide as the paper, in its own units";
    Drawing wide;
    wide.strokes.push_back({{{140, 140}}, 1e6f});
    EXPECT_THROW(drawing_input(wide), Error) << "a drawing made in code with such a pen";
    EXPECT_NE(refusal("{\"strokes\": []}").find("accepted"), std::string::npos) << "an empty drawing is a drawing";
    EXPECT_THROW(read_drawing(test::scratch_dir() + "/none.json"), Error);
    EXPECT_THROW(drawing_files(test::scratch_dir() + "/none"), Error);
    const std::string empty_folder = test::scratch_dir() + "/no-drawings";
    std::filesystem::create_directories(empty_folder);
    EXPECT_THROW(drawing_files(empty_folder), Error);
}

DrawingJudgement judged(const test::TestDrawing& drawing) {
    return judge_drawing(test::fixture_model(), drawing_of(drawing));
}

// The verdict rule of docs/method.md on the bundled model, as the Draw view shows it. Each
// drawn letter is flagged and called no digit or an odd one (docs/decisions.md, "Drawn verdicts
// are judged on the drawn protocol": how many of them read "Not a digit" is the drawn
// protocol's figure, not a single drawing's).
TEST(JudgeDrawing, LettersAreFlaggedAndAZigzagIsTheOddStrokeOfASeven) {
    for (const test::TestDrawing& letter : test::kLetters) {
        const DrawingJudgement letter_judged = judged(letter);
        EXPECT_TRUE(letter_judged.verdict_text.rfind("Not a digit (closest: ", 0) == 0 ||
                    letter_judged.verdict_text.rfind("An odd ", 0) == 0)
            << letter.name << ": " << letter_judged.verdict_text << " (stroke " << letter_judged.score.stroke_ratio
            << "x, shape " << letter_judged.score.shape_ratio << "x)";
        EXPECT_TRUE(flagged(letter_judged.score)) << letter.name;
    }
    const DrawingJudgement seven = judged(test::kSeven);
    EXPECT_EQ(seven.verdict_text, "Looks like a 7");
    EXPECT_EQ(seven.verdict.kind, VerdictKind::Normal);
    const DrawingJudgement odd = judged(test::kZigzagSeven);
    EXPECT_EQ(odd.verdict_text, "An odd 7 — stroke 3 looks odd");
    EXPECT_EQ(odd.outlined_stroke, 2);
    ASSERT_EQ(odd.strokes.size(), 3u);
    EXPECT_GT(odd.strokes[2].share, 0.5) << "the zigzag carries most of the blame";
    EXPECT_EQ(odd.input, InputKind::Drawn);
}

// A drawing is measured against the canvas calibration, and its percentile is among that
// calibration's images; an opened image is a scan, measured as oddigit-cli score measures it.
TEST(JudgeDrawing, MeasuresDrawingsAgainstTheCanvasCalibrationAndScansAgainstMnists) {
    const AnomalyModel& model = test::fixture_model();
    ASSERT_TRUE(model.info().canvas.is_set());
    const DrawingJudgement seven = judged(test::kSeven);
    EXPECT_NEAR(seven.score.stroke_ratio * model.info().canvas.stroke,
                weighted_parts(model.info(), seven.score).stroke(), 1e-5);
    EXPECT_EQ(seven.percentile, model.info().canvas.percentile(seven.score.score));
    EXPECT_TRUE(seven.strokes.size() == 2u && seven.strokes[0].share + seven.strokes[1].share > 0.99);

    Drawing scan;
    scan.background = render_drawing(drawing_of(test::kSeven));
    const DrawingJudgement scanned = judge_drawing(model, scan);
    EXPECT_EQ(scanned.input, InputKind::Scanned);
    EXPECT_TRUE(scanned.strokes.empty());
    const ImageScore expected = model.score(scanned.model_input);
    EXPECT_EQ(scanned.score.score, expected.score);
    EXPECT_EQ(scanned.percentile, model.info().mnist.percentile(expected.score));
    EXPECT_TRUE(judge_drawing(model, Drawing{}).blank);
}

}  // namespace
}  // namespace oddigit
