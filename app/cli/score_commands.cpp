#include "commands.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "cli_support.h"
#include "oddigit/atomic_file.h"
#include "oddigit/error.h"
#include "oddigit/idx.h"
#include "oddigit/image.h"
#include "oddigit/mnist.h"
#include "oddigit/model.h"
#include "oddigit/protocol.h"
#include "oddigit/runtime.h"
#include "oddigit/score.h"
#include "oddigit/score_csv.h"
#include "oddigit/verdict.h"
#include "report.h"
#include "terminal.h"
#ifdef ODDIGIT_HAVE_IMAGE_IO
#include "oddigit/drawing.h"
#include "oddigit/preprocess.h"
#endif

namespace oddigit::cli {

namespace {

// Images scored between progress-line updates: the encoder scores thousands a second,
// latent search (hundreds of gradient steps per image) only a few.
constexpr int64_t kEncoderChunk = 2048;
constexpr int64_t kLatentSearchChunk = 64;

struct ScoreOptions {
    std::string model_path;
    std::string images_path;
    std::string strokes_path;  // drawing files (oddigit/drawing.h), judged as the Draw view judges them
    std::string csv_path;
    std::string heatmaps_path;
    std::string pictures_dir;  // one PNG per image: input | reconstruction | heatmap
    std::string device = "cpu";
    ScoreParams params;
};

struct EvalOptions {
    std::string model_path;
    DataOptions data;  // MNIST's test set, or a test folder
    std::string json_path;
    std::string device = "cpu";
    ScoreParams params;
};

// What score says of each input, whichever kind it was.
struct Scored {
    ImageBatch images;               // the model inputs
    std::vector<ImageScore> scores;
    std::vector<ScoreRow> rows;      // for the CSV and the readable lines
    std::vector<std::string> texts;  // the verdict as the app shows it (empty in search mode)
};

std::vector<std::string> input_names(const ScoreOptions& options, ImageBatch& images) {
#ifdef ODDIGIT_HAVE_IMAGE_IO
    LoadedImages inputs = load_inputs(options.images_path);
    images = std::move(inputs.images);
    return inputs.names;
#else
    images = read_idx_images(options.images_path);
    std::vector<std::string> names;
    for (int64_t i = 0; i < images.size(); ++i) names.push_back(options.images_path + "#" + std::to_string(i));
    return names;
#endif
}

// Images (IDX, image files): scored in chunks, each by the one verdict rule without strokes.
Scored score_images(const AnomalyModel& model, const ScoreOptions& options) {
    Scored scored;
    const std::vector<std::string> names = input_names(options, scored.images);
    ProgressLine line;
    // Chunks of the batch keep the progress line moving on large inputs.
    const int64_t chunk = options.params.mode == ScoreMode::Encoder ? kEncoderChunk : kLatentSearchChunk;
    for (int64_t begin = 0; begin < scored.images.size(); begin += chunk) {
        ImageBatch part;
        const int64_t count = std::min(chunk, scored.images.size() - begin);
        part.pixels.assign(scored.images.image(begin), scored.images.image(begin) + count * kImagePixels);
        std::vector<ImageScore> part_scores = model.score(part, options.params);
        std::move(part_scores.begin(), part_scores.end(), std::back_inserter(scored.scores));
        line.update("scored " + std::to_string(scored.scores.size()) + "/" + std::to_string(scored.images.size()));
    }
    line.finish();
    const bool calibrated = options.params.mode == ScoreMode::Encoder;
    const Calibration& calibration = calibration_for(model.info(), options.params.input);
    for (size_t i = 0; i < scored.scores.size(); ++i) {
        ScoreRow row;
        row.index = static_cast<int64_t>(i);
        row.figures = scored.scores[i];
        row.calibrated = calibrated;
        row.percentile = calibration.percentile(row.figures.score);
        row.verdict = judge(row.figures);
        row.source = names[i];
        scored.texts.push_back(calibrated ? verdict_text(model.info(), row.verdict) : "");
        scored.rows.push_back(std::move(row));
    }
    return scored;
}

// Drawing files: each judged as the Draw view judges it (oddigit/drawing.h).
Scored score_drawings([[maybe_unused]] const AnomalyModel& model, [[maybe_unused]] const ScoreOptions& options) {
#ifdef ODDIGIT_HAVE_IMAGE_IO
    if (options.params.mode != ScoreMode::Encoder) throw Error("--strokes scores with the encoder (--mode encoder)");
    Scored scored;
    for (const std::string& path : drawing_files(options.strokes_path)) {
        const DrawingJudgement judged = judge_drawing(model, read_drawing(path));
        if (judged.blank) throw Error("the drawing '" + path + "' has no ink on the paper");
        ScoreRow row;
        row.index = static_cast<int64_t>(scored.rows.size());
        row.figures = judged.score;
        row.percentile = judged.percentile;
        row.verdict = judged.verdict;
        row.blamed_stroke = judged.outlined_stroke;
        row.source = std::filesystem::path(path).filename().string();
        scored.images.append(judged.model_input.data());
        scored.scores.push_back(judged.score);
        scored.texts.push_back(judged.verdict_text);
        scored.rows.push_back(std::move(row));
    }
    return scored;
#else
    throw Error("--strokes needs a build with ODDIGIT_IMAGE_IO (it renders the strokes)");
#endif
}

void write_csv(const AnomalyModel& model, const Scored& scored, const std::string& path) {
    std::ostringstream text;
    ScoreCsvWriter csv(text, model.info());
    for (const ScoreRow& row : scored.rows) csv.write(row);
    if (path != "-") return write_text_atomically(path, text.str());
    std::cout << text.str();
    std::cout.flush();
    if (!std::cout) throw Error("cannot write the CSV to standard output");
}

// One readable line per input, as the app says it: the verdict, the leading channel's ratio to
// its threshold, the fused score and its percentile:
// "letter.png  Not a digit (closest: 4)  shape 1.70x  score 1.31  percentile 99.8".
void print_verdicts(const Scored& scored, bool calibrated) {
    for (size_t i = 0; i < scored.rows.size(); ++i) {
        const ScoreRow& row = scored.rows[i];
        if (!calibrated) {
            std::printf("%s  search loss %.4f\n", row.source.c_str(), row.figures.score);
            continue;
        }
        const Channel leading = leading_channel(row.figures);
        std::printf("%s  %s  %s %.2fx  score %.2f  percentile %.1f\n", row.source.c_str(), scored.texts[i].c_str(),
                    channel_name(leading),
                    leading == Channel::Shape ? row.figures.shape_ratio : row.figures.stroke_ratio, row.figures.score,
                    100.0 * row.percentile);
    }
}

void write_outputs([[maybe_unused]] const AnomalyModel& model, const Scored& scored, const ScoreOptions& options) {
    if (!options.heatmaps_path.empty()) {
        ImageBatch heatmaps;
        for (const ImageScore& s : scored.scores) heatmaps.append(s.heatmap.data());
        write_idx_images(options.heatmaps_path, heatmaps);
    }
    if (options.pictures_dir.empty()) return;
#ifdef ODDIGIT_HAVE_IMAGE_IO
    const InputKind input = options.strokes_path.empty() ? options.params.input : InputKind::Drawn;
    const float heat_scale = calibration_for(model.info(), input).heat_full_scale;
    for (size_t i = 0; i < scored.scores.size(); ++i) {
        char name[32];
        std::snprintf(name, sizeof name, "/%06zu.png", i);
        write_score_picture(options.pictures_dir + name, scored.images.at(static_cast<int64_t>(i)), scored.scores[i], heat_scale);
    }
#else
    throw Error("--pictures needs a build with ODDIGIT_IMAGE_IO");
#endif
}

int run_score(const ScoreOptions& options) {
    if (options.images_path.empty() == options.strokes_path.empty()) throw Error("score takes --images or --strokes (one of them)");
    const std::string model_path = model_or_default(options.model_path);
    AnomalyModel model = AnomalyModel::load(model_path);
    model.set_device(options.device);
    const bool drawn = !options.strokes_path.empty() || options.params.input == InputKind::Drawn;
    if (drawn && !model.info().canvas.is_set())
        std::fprintf(stderr, "note: '%s' has no canvas calibration (oddigit-cli calibrate gives it one); the drawings "
                             "are measured against its MNIST thresholds\n",
                     model_path.c_str());
    const Stopwatch start;
    const Scored scored = options.strokes_path.empty() ? score_images(model, options) : score_drawings(model, options);
    const double seconds = start.seconds();
    const bool calibrated = options.params.mode == ScoreMode::Encoder;
    if (options.csv_path.empty())
        print_verdicts(scored, calibrated);
    else
        write_csv(model, scored, options.csv_path);
    write_outputs(model, scored, options);
    // The summary goes where it cannot mix with a CSV written to standard output.
    std::FILE* summary = options.csv_path == "-" ? stderr : stdout;
    std::fprintf(summary, "scored %zu images with %s in %.2f s (%.2f ms/image)", scored.rows.size(), model_path.c_str(),
                 seconds, 1000.0 * seconds / std::max<size_t>(1, scored.rows.size()));
    if (calibrated) {
        const auto flagged_count = std::count_if(scored.rows.begin(), scored.rows.end(),
                                                 [](const ScoreRow& row) { return flagged(row.figures); });
        const Calibration& calibration = calibration_for(model.info(), drawn ? InputKind::Drawn : InputKind::Scanned);
        std::fprintf(summary, ": %lld flagged, %.1f %% (stroke threshold %.5f, shape threshold %.5f%s)\n",
                     static_cast<long long>(flagged_count), 100.0 * flagged_count / std::max<size_t>(1, scored.rows.size()),
                     calibration.stroke, calibration.shape,
                     &calibration == &model.info().canvas ? ", the canvas calibration" : "");
    } else {
        std::fprintf(summary, "; the search loss has no threshold, so none is flagged\n");
    }
    return 0;
}

int run_eval(const EvalOptions& options) {
    const std::string model_path = model_or_default(options.model_path);
    AnomalyModel model = AnomalyModel::load(model_path);
    model.set_device(options.device);
    const LabelledData test = load_data(options.data, MnistPart::Test);
    const ModelInfo& info = model.info();
    const std::vector<bool> normal = normal_test_classes(info, test.class_names);
    const Stopwatch start;
    const TestEvaluation evaluation = evaluate(model, test.images, normal, options.params);
    const double seconds = start.seconds();
    const bool calibrated = evaluation.false_positive_rate >= 0;
    const auto defined = [](double value) { return value >= 0 ? Report(value) : Report(nullptr); };
    Report classes = Report::array();
    for (size_t c = 0; c < normal.size(); ++c)
        classes.push_back({{"class", test.class_names.empty() ? std::to_string(c) : test.class_names[c]},
                           {"normal", static_cast<bool>(normal[c])},
                           {"mean_score", evaluation.mean_score_per_class[c]},
                           {"auroc", defined(evaluation.auroc_per_class[c])}});
    const Report report = {{"model", model_path},
                           {"test_data", test.source.record()},
                           {"normal_classes", info.normal_classes.names()},
                           {"test_images", test.images.images.size()},
                           {"stroke_threshold", info.mnist.stroke},
                           {"shape_threshold", info.mnist.shape},
                           {"auroc", defined(evaluation.auroc)},
                           {"true_positive_rate", calibrated ? Report(evaluation.true_positive_rate) : Report(nullptr)},
                           {"false_positive_rate", calibrated ? Report(evaluation.false_positive_rate) : Report(nullptr)},
                           {"per_class", classes},
                           {"seconds", seconds}};
    print_report(report);
    save_report(report, options.json_path);
    return 0;
}

}  // namespace

void add_score_commands(CLI::App& app, Commands& commands, int& threads) {
    auto score = std::make_shared<ScoreOptions>();
    CLI::App* score_command = app.add_subcommand(
        "score", "score images (an IDX file, a PNG/JPEG, or a folder of them) or drawings (strokes in JSON files)");
    score_command->add_option("--model", score->model_path, "model file (default: the bundled model)");
    score_command->add_option("--images", score->images_path, "IDX file (plain or .gz), image file or folder");
    score_command->add_option("--strokes", score->strokes_path,
                              "drawing file or folder of them (.json: {\"paper\": 280, \"pen\": 18, \"strokes\": "
                              "[[[x, y], ...], ...]}), judged as the app's Draw view judges them");
    score_command->add_option("--csv", score->csv_path,
                              "CSV to write (index,score,flagged,channel,...; - for standard output); without it, "
                              "one readable line per image");
    score_command->add_option("--heatmaps", score->heatmaps_path, "float32 IDX file of N x 28 x 28 heatmaps to write");
    score_command->add_option("--pictures", score->pictures_dir, "folder to write one PNG per image into: input, reconstruction, heatmap")
        ->check(CLI::ExistingDirectory);
    score_command->add_flag_function(
        "--drawn", [score](int64_t) { score->params.input = InputKind::Drawn; },
        "the images were drawn on a canvas (round pen, as the app's Draw view): measure them against the model's "
        "canvas calibration, as the Draw view does");
    add_threads_option(*score_command, threads);
    add_score_settings(*score_command, score->params);
    add_device_option(*score_command, score->device);
    commands.push_back({score_command, [score] { return run_score(*score); }});

    auto eval = std::make_shared<EvalOptions>();
    CLI::App* eval_command = app.add_subcommand(
        "eval", "score the MNIST test set, or a test folder of images, and report the AUROC, per class too");
    eval_command->add_option("--model", eval->model_path, "model file (default: the bundled model)");
    add_data_options(*eval_command, eval->data, "to test on (classes outside the model's normal ones are the anomalies)");
    eval_command->add_option("--json", eval->json_path, "write the results as JSON");
    add_threads_option(*eval_command, threads);
    add_score_settings(*eval_command, eval->params);
    add_device_option(*eval_command, eval->device);
    commands.push_back({eval_command, [eval] { return run_eval(*eval); }});
}

}  // namespace oddigit::cli
