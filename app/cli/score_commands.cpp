#include "commands.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <limits>
#include <ostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli_support.h"
#include "oddigit/error.h"
#include "oddigit/idx.h"
#include "oddigit/image.h"
#include "oddigit/mnist.h"
#include "oddigit/model.h"
#include "oddigit/protocol.h"
#include "oddigit/score.h"
#include "terminal.h"
#ifdef ODDIGIT_HAVE_IMAGE_IO
#include "oddigit/preprocess.h"
#endif

namespace oddigit::cli {

namespace {

using nlohmann::json;

// Images scored between progress-line updates: the encoder scores thousands a second,
// latent search (hundreds of gradient steps per image) only a few.
constexpr int64_t kEncoderChunk = 2048;
constexpr int64_t kLatentSearchChunk = 64;

// A CSV field: quoted, with its quotes doubled, when it holds a comma, a quote or a line break.
std::string csv_field(const std::string& text) {
    if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
    std::string quoted = "\"";
    for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    return quoted + "\"";
}

// The CSV: one row per image. In search mode the channel columns, flagged and the percentile
// are empty: the search loss has no calibration.
void write_csv(std::ostream& out, const AnomalyModel& model, const std::vector<ImageScore>& scores,
               const std::vector<std::string>& names, bool calibrated) {
    // Enough digits that a ratio just under 1 never reads as 1.
    out << std::setprecision(std::numeric_limits<float>::max_digits10);
    out << "index,score,flagged,channel,stroke_ratio,shape_ratio,pixel_residual,feature_residual,not_digit,"
           "feature_density,realness,best_digit,validation_percentile,source\n";
    for (size_t i = 0; i < scores.size(); ++i) {
        const ImageScore& score = scores[i];
        out << i << ',' << score.score << ',';
        if (calibrated)
            out << (flagged(score) ? 1 : 0) << ',' << channel_name(fired_channel(score)) << ',' << score.stroke_ratio
                << ',' << score.shape_ratio << ',';
        else
            out << ",,,,";
        out << score.pixel_residual << ',' << score.feature_residual << ',' << score.not_digit << ','
            << score.feature_density << ',' << score.realness << ',' << score.best_digit << ',';
        if (calibrated) out << model.validation_percentile(scanned_score(model.info(), score));
        out << ',' << csv_field(names[i]) << '\n';
    }
}

// One readable line per image, as the app would say it:
// "letter.png  not a digit (closest: 4)  shape 1.7x  percentile 99.8".
void print_verdicts(const AnomalyModel& model, const std::vector<ImageScore>& scores,
                    const std::vector<std::string>& names, bool calibrated) {
    for (size_t i = 0; i < scores.size(); ++i) {
        const ImageScore& score = scores[i];
        if (!calibrated) {
            std::printf("%s  search loss %.4f\n", names[i].c_str(), score.score);
            continue;
        }
        std::printf("%s  %s  %s %.2fx  percentile %.1f\n", names[i].c_str(), verdict(model.info(), score).c_str(),
                    channel_name(leading_channel(score)), score.score, 100.0 * model.validation_percentile(scanned_score(model.info(), score)));
    }
}

}  // namespace

int run_score(const ScoreOptions& options) {
    const std::string model_path = model_or_default(options.model_path);
    AnomalyModel model = AnomalyModel::load(model_path);
    model.set_device(options.device);
#ifdef ODDIGIT_HAVE_IMAGE_IO
    const LoadedImages inputs = load_inputs(options.images_path);
    const ImageBatch& images = inputs.images;
    const std::vector<std::string>& names = inputs.names;
#else
    const ImageBatch images = read_idx_images(options.images_path);
    std::vector<std::string> names;
    for (int64_t i = 0; i < images.size(); ++i) names.push_back(options.images_path + "#" + std::to_string(i));
#endif
    const Clock::time_point start = Clock::now();
    ProgressLine line;
    std::vector<ImageScore> scores;
    // Chunks of the batch keep the progress line moving on large inputs.
    const int64_t chunk = options.params.mode == ScoreMode::Encoder ? kEncoderChunk : kLatentSearchChunk;
    for (int64_t begin = 0; begin < images.size(); begin += chunk) {
        ImageBatch part;
        const int64_t count = std::min(chunk, images.size() - begin);
        part.pixels.assign(images.image(begin), images.image(begin) + count * kImagePixels);
        std::vector<ImageScore> part_scores = model.score(part, options.params);
        scores.insert(scores.end(), std::make_move_iterator(part_scores.begin()), std::make_move_iterator(part_scores.end()));
        line.update("scored " + std::to_string(scores.size()) + "/" + std::to_string(images.size()));
    }
    line.finish();
    const double seconds = seconds_since(start);

    const bool calibrated = options.params.mode == ScoreMode::Encoder;
    const ChannelThresholds thresholds = thresholds_for(model.info(), options.params.input);
    const bool drawn = options.params.input == InputKind::Drawn;
    if (drawn && !has_canvas_calibration(model.info()))
        std::fprintf(stderr, "note: '%s' has no canvas calibration (oddigit-cli calibrate gives it one); the drawings "
                             "are measured against its MNIST thresholds\n",
                     model_path.c_str());
    const int64_t flagged_count = std::count_if(scores.begin(), scores.end(), [&](const ImageScore& score) {
        return calibrated && flagged(score);
    });
    if (options.csv_path.empty()) {
        print_verdicts(model, scores, names, calibrated);
    } else if (options.csv_path == "-") {
        write_csv(std::cout, model, scores, names, calibrated);
        std::cout.flush();
        if (!std::cout) throw Error("cannot write the CSV to standard output");
    } else {
        std::ofstream csv(options.csv_path);
        if (!csv) throw Error("cannot write '" + options.csv_path + "'");
        write_csv(csv, model, scores, names, calibrated);
        csv.close();
        if (!csv) throw Error("cannot write '" + options.csv_path + "'");
    }
    if (!options.heatmaps_path.empty()) {
        ImageBatch heatmaps;
        for (const ImageScore& s : scores) heatmaps.append(s.heatmap.data());
        write_idx_images(options.heatmaps_path, heatmaps);
    }
    if (!options.pictures_dir.empty()) {
#ifdef ODDIGIT_HAVE_IMAGE_IO
        for (size_t i = 0; i < scores.size(); ++i) {
            char name[32];
            std::snprintf(name, sizeof name, "/%06zu.png", i);
            write_score_picture(options.pictures_dir + name, images.at(static_cast<int64_t>(i)), scores[i], thresholds.heat_full_scale);
        }
#else
        throw Error("--pictures needs a build with ODDIGIT_IMAGE_IO");
#endif
    }
    // The summary goes where it cannot mix with a CSV written to standard output.
    std::FILE* summary = options.csv_path == "-" ? stderr : stdout;
    std::fprintf(summary, "scored %zu images with %s in %.2f s (%.2f ms/image)", scores.size(), model_path.c_str(),
                 seconds, 1000.0 * seconds / std::max<size_t>(1, scores.size()));
    if (calibrated)
        std::fprintf(summary, ": %lld flagged (stroke threshold %.5f, shape threshold %.5f%s)\n",
                     static_cast<long long>(flagged_count), thresholds.stroke, thresholds.shape,
                     drawn && has_canvas_calibration(model.info()) ? ", the canvas calibration" : "");
    else
        std::fprintf(summary, "; the search loss has no threshold, so none is flagged\n");
    return 0;
}

int run_eval(const EvalOptions& options) {
    const std::string model_path = model_or_default(options.model_path);
    AnomalyModel model = AnomalyModel::load(model_path);
    model.set_device(options.device);
    const MnistSet mnist = load_mnist(data_or_default(options.data_dir));
    const Clock::time_point start = Clock::now();
    const TestEvaluation evaluation = evaluate(model, mnist.test, options.params);
    const double seconds = seconds_since(start);
    const ModelInfo& info = model.info();
    std::printf("model %s (normal classes: %s), %lld test images scored in %.2f s (%.0f images/s)\n",
                model_path.c_str(), info.normal_classes.to_string().c_str(),
                static_cast<long long>(mnist.test.images.size()), seconds, mnist.test.images.size() / seconds);
    const bool calibrated = evaluation.false_positive_rate >= 0;
    if (evaluation.auroc >= 0) std::printf("AUROC %.4f", evaluation.auroc);
    else std::printf("AUROC not defined: every test digit is a normal class of this model");
    if (!calibrated)
        std::printf("; the search loss has no threshold, so none is flagged\n");
    else if (evaluation.auroc >= 0)
        std::printf("; %.1f%% of anomalies flagged, %.1f%% of normal images flagged\n",
                    100 * evaluation.true_positive_rate, 100 * evaluation.false_positive_rate);
    else
        std::printf("; %.1f%% of test images flagged\n", 100 * evaluation.false_positive_rate);
    std::printf("mean score per digit:");
    for (int d = 0; d < 10; ++d) std::printf(" %d:%.4f", d, evaluation.mean_score_per_digit[d]);
    std::printf("\n");
    if (evaluation.auroc >= 0) {
        std::printf("AUROC of each anomalous digit against the normal ones:");
        for (int d = 0; d < 10; ++d)
            if (evaluation.auroc_per_digit[d] >= 0) std::printf(" %d:%.4f", d, evaluation.auroc_per_digit[d]);
        std::printf("\n");
    }
    if (!options.json_path.empty()) {
        json auroc_per_digit = json::array();
        for (double value : evaluation.auroc_per_digit)
            auroc_per_digit.push_back(value >= 0 ? json(value) : json(nullptr));
        json out = {{"model", model_path},
                    {"normal_classes", info.normal_classes.to_string()},
                    {"stroke_threshold", info.stroke_threshold},
                    {"shape_threshold", info.shape_threshold},
                    {"auroc", evaluation.auroc >= 0 ? json(evaluation.auroc) : json(nullptr)},
                    {"true_positive_rate", calibrated ? json(evaluation.true_positive_rate) : json(nullptr)},
                    {"false_positive_rate", calibrated ? json(evaluation.false_positive_rate) : json(nullptr)},
                    {"mean_score_per_digit", evaluation.mean_score_per_digit},
                    {"auroc_per_digit", auroc_per_digit},
                    {"seconds", seconds}};
        write_text(options.json_path, out.dump(2) + "\n");
    }
    return 0;
}

}  // namespace oddigit::cli
