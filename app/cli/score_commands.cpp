#include "commands.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>
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

    std::ofstream csv(options.csv_path);
    if (!csv) throw Error("cannot write '" + options.csv_path + "'");
    csv << "index,score,flagged,pixel_residual,feature_residual,not_digit,feature_density,best_digit,validation_percentile,"
           "source\n";
    int64_t flagged_count = 0;
    const float threshold = model.info().threshold;
    for (size_t i = 0; i < scores.size(); ++i) {
        const bool is_flagged = flagged(scores[i].score, threshold);
        flagged_count += is_flagged;
        std::string source = names[i];
        if (source.find_first_of(",\"") != std::string::npos) source = "\"" + source + "\"";
        csv << i << ',' << scores[i].score << ',' << (is_flagged ? 1 : 0) << ',' << scores[i].pixel_residual << ','
            << scores[i].feature_residual << ',' << scores[i].not_digit << ',' << scores[i].feature_density << ','
            << scores[i].best_digit << ','
            << model.validation_percentile(scores[i].score) << ',' << source << '\n';
    }
    csv.close();
    if (!csv) throw Error("cannot write '" + options.csv_path + "'");
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
            write_score_picture(options.pictures_dir + name, images.at(static_cast<int64_t>(i)), scores[i], model.info().heat_full_scale);
        }
#else
        throw Error("--pictures needs a build with ODDIGIT_IMAGE_IO");
#endif
    }
    std::printf("scored %zu images with %s in %.2f s (%.2f ms/image): %lld flagged at threshold %.5f\n", scores.size(),
                model_path.c_str(), seconds, 1000.0 * seconds / std::max<size_t>(1, scores.size()),
                static_cast<long long>(flagged_count), threshold);
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
    if (evaluation.auroc >= 0)
        std::printf("AUROC %.4f; at threshold %.5f: %.1f%% of anomalies flagged, %.1f%% of normal images flagged\n",
                    evaluation.auroc, info.threshold, 100 * evaluation.true_positive_rate,
                    100 * evaluation.false_positive_rate);
    else
        std::printf("AUROC not defined: every test digit is a normal class of this model; at threshold %.5f, %.1f%% "
                    "of test images are flagged\n",
                    info.threshold, 100 * evaluation.false_positive_rate);
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
                    {"threshold", info.threshold},
                    {"auroc", evaluation.auroc >= 0 ? json(evaluation.auroc) : json(nullptr)},
                    {"true_positive_rate", evaluation.true_positive_rate},
                    {"false_positive_rate", evaluation.false_positive_rate},
                    {"mean_score_per_digit", evaluation.mean_score_per_digit},
                    {"auroc_per_digit", auroc_per_digit},
                    {"seconds", seconds}};
        write_text(options.json_path, out.dump(2) + "\n");
    }
    return 0;
}

}  // namespace oddigit::cli
