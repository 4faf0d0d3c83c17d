#include "commands.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli_support.h"
#include "oddigit/error.h"
#include "oddigit/image.h"
#include "oddigit/mnist.h"
#include "oddigit/model.h"
#include "oddigit/protocol.h"
#include "oddigit/train.h"
#include "terminal.h"
#ifdef ODDIGIT_HAVE_IMAGE_IO
#include "oddigit/drawn.h"
#include "oddigit/preprocess.h"
#endif

namespace oddigit::cli {

namespace {

using nlohmann::json;

std::vector<int> digit_list(const std::string& text) {
    const ClassSet set = ClassSet::parse(text);
    std::vector<int> digits;
    for (int d = 0; d < 10; ++d)
        if (set.contains(d)) digits.push_back(d);
    return digits;
}

// An epoch count as set; 0 is default_epochs() of each training set.
std::string epochs_text(int epochs) {
    return epochs > 0 ? std::to_string(epochs) : "default";
}

json recipe_json(const TrainParams& params) {
    const auto epochs_json = [](int epochs) { return epochs > 0 ? json(epochs) : json(epochs_text(epochs)); };
    return {{"gan_epochs", epochs_json(params.gan_epochs)}, {"encoder_epochs", epochs_json(params.encoder_epochs)},
            {"batch_size", params.batch_size}, {"latent_dim", params.architecture.latent_dim},
            {"width", params.architecture.width}, {"kappa", params.kappa}};
}

// A protocol's log: each message on its own line, after the training progress line.
std::function<void(const std::string&)> protocol_log(ProgressLine& line) {
    return [&line](const std::string& message) {
        line.finish();
        std::printf("%s\n", message.c_str());
        std::fflush(stdout);
    };
}

TrainCallbacks progress_callbacks(ProgressLine& line) {
    TrainCallbacks callbacks;
    callbacks.on_progress = [&line](const TrainProgress& p) { line.update(progress_text(p)); };
    return callbacks;
}

}  // namespace

int run_one_class_protocol(const ProtocolOptions& options) {
    OneClassParams params;
    params.digits = digit_list(options.digits);
    params.seeds = options.seeds;
    params.train = options.params;
    const MnistSet mnist = load_mnist(data_or_default(options.data_dir));
    std::printf("one-class protocol: %zu digits x %zu seeds, %s GAN + %s encoder epochs each\n", params.digits.size(),
                params.seeds.size(), epochs_text(params.train.gan_epochs).c_str(),
                epochs_text(params.train.encoder_epochs).c_str());
    std::fflush(stdout);
    ProgressLine line;
    const OneClassReport report = run_one_class(mnist, params, protocol_log(line), progress_callbacks(line));
    line.finish();
    std::printf("\n| digit | AUROC (mean ± std over %zu seeds) |\n|---|---|\n", params.seeds.size());
    json digits = json::array();
    for (int d : params.digits) {
        std::printf("| %d | %.4f ± %.4f |\n", d, report.mean_auroc(d), report.std_auroc(d));
        json runs = json::array();
        for (const OneClassRun& run : report.runs)
            if (run.digit == d) runs.push_back({{"seed", run.seed}, {"auroc", run.auroc}, {"seconds", run.seconds}});
        digits.push_back({{"digit", d}, {"mean", report.mean_auroc(d)}, {"std", report.std_auroc(d)}, {"runs", runs}});
    }
    std::printf("| mean | %.4f |\nwall time %s (%.0f s)\n", report.mean_auroc(), format_duration(report.seconds).c_str(),
                report.seconds);
    if (!options.json_path.empty()) {
        json out = {{"protocol", "one-class (train on digit k, test on all 10,000 test images)"},
                    {"seeds", params.seeds},
                    {"digits", digits},
                    {"mean_auroc", report.mean_auroc()},
                    {"seconds", report.seconds}};
        out["settings"] = recipe_json(params.train);
        write_text(options.json_path, out.dump(2) + "\n");
    }
    return 0;
}

int run_leave_one_out_protocol(const LeaveOneOutOptions& options) {
    LeaveOneOutParams params = options.params;
    params.digits = digit_list(options.digits);
    const MnistSet mnist = load_mnist(data_or_default(options.data_dir));
    std::printf("leave-one-out protocol: %zu anomaly digits, seed %llu, %s GAN + %s encoder epochs each\n",
                params.digits.size(), static_cast<unsigned long long>(params.seed),
                epochs_text(params.train.gan_epochs).c_str(), epochs_text(params.train.encoder_epochs).c_str());
    std::fflush(stdout);
    ProgressLine line;
    const LeaveOneOutReport report = run_leave_one_out(mnist, params, protocol_log(line), progress_callbacks(line));
    line.finish();
    std::printf("\n| anomaly digit | AUROC | training images | test normal | test anomalous |\n|---|---|---|---|---|\n");
    json rows = json::array();
    for (const LeaveOneOutRun& run : report.runs) {
        std::printf("| %d | %.4f | %lld | %lld | %lld |\n", run.digit, run.auroc, static_cast<long long>(run.train_images),
                    static_cast<long long>(run.test_normal_images), static_cast<long long>(run.test_anomalous_images));
        rows.push_back({{"digit", run.digit}, {"auroc", run.auroc}, {"train_images", run.train_images},
                        {"test_normal_images", run.test_normal_images},
                        {"test_anomalous_images", run.test_anomalous_images}, {"seconds", run.seconds}});
    }
    std::printf("| mean | %.4f |\nwall time %s (%.0f s)\n", report.mean_auroc(), format_duration(report.seconds).c_str(),
                report.seconds);
    if (!options.json_path.empty()) {
        json out = {{"protocol", "leave-one-out (GANomaly split: digit k anomalous, the other nine normal, "
                                 "train+test pooled and split 80/20)"},
                    {"seed", params.seed},
                    {"digits", rows},
                    {"mean_auroc", report.mean_auroc()},
                    {"seconds", report.seconds},
                    {"settings", recipe_json(params.train)}};
        write_text(options.json_path, out.dump(2) + "\n");
    }
    return 0;
}

int run_localization_protocol(const LocalizationOptions& options) {
    const std::string model_path = model_or_default(options.model_path);
    const AnomalyModel model = AnomalyModel::load(model_path);
    const MnistSet mnist = load_mnist(data_or_default(options.data_dir));
    const ImageBatch digits = options.on == "validation"
                                  ? training_split(model, model_path, mnist, options.validation_fraction).validation
                                  : images_of(mnist.test, model.info().normal_classes);
    const Clock::time_point start = Clock::now();
    const LocalizationReport report = run_localization(model, digits, options.params);
    const auto run_with = [&](StrokeStyle style) {
        LocalizationParams params = options.params;
        params.style = style;
        return run_localization(model, digits, params);
    };
    const LocalizationReport varied = run_with(StrokeStyle::Varied);
    const LocalizationReport erased = run_with(StrokeStyle::Erased);
    const double seconds = seconds_since(start);
    std::printf("localization with %s: %d %s digits, each with one random foreign stroke or one erased\n",
                model_path.c_str(), report.images, options.on.c_str());
    std::printf("%-47s%-18s%-18s%s\n", "", "straight strokes", "varied strokes", "erased strokes");
    std::printf("%-47s%-18.4f%-18.4f%.4f\n", "pixel AUROC (heatmap vs the changed pixels)", report.pixel_auroc,
                varied.pixel_auroc, erased.pixel_auroc);
    std::printf("%-47s%-18.4f%-18.4f%.4f\n", "image AUROC (stroked vs clean)", report.image_auroc, varied.image_auroc,
                erased.image_auroc);
    std::printf("%-47s%.4f\n", "image AUROC (mirrored vs clean)", report.mirrored_image_auroc);
    std::printf("mean score: clean %.4f, straight-stroked %.4f, varied-stroked %.4f, erased %.4f; %.1f s\n",
                report.mean_clean_score, report.mean_stroked_score, varied.mean_stroked_score, erased.mean_stroked_score,
                seconds);
    if (!options.pictures_dir.empty()) {
#ifdef ODDIGIT_HAVE_IMAGE_IO
        ImageBatch examples;
        const int count = std::min<int>(options.examples, report.images);
        for (int i = 0; i < count; ++i) examples.append(report.clean.image(i));
        for (int i = 0; i < count; ++i) examples.append(report.stroked.image(i));
        for (int i = 0; i < count; ++i) examples.append(varied.stroked.image(i));
        for (int i = 0; i < count; ++i) examples.append(erased.stroked.image(i));
        const std::vector<ImageScore> scores = model.score(examples);
        const char* kinds[] = {"clean", "stroked", "varied", "erased"};
        for (int i = 0; i < 4 * count; ++i) {
            char name[48];
            std::snprintf(name, sizeof name, "/%s-%02d.png", kinds[i / count], i % count);
            write_score_picture(options.pictures_dir + name, examples.at(i), scores[i], model.info().heat_full_scale);
        }
#else
        throw Error("--pictures needs a build with ODDIGIT_IMAGE_IO");
#endif
    }
    if (!options.json_path.empty()) {
        const auto figures = [](const LocalizationReport& r) {
            return json{{"pixel_auroc", r.pixel_auroc}, {"image_auroc", r.image_auroc},
                        {"mean_stroked_score", r.mean_stroked_score}};
        };
        json out = {{"protocol", "localization: one random foreign stroke per digit, straight (top level) and varied, "
                                 "or one erased"},
                    {"model", model_path},
                    {"digits", options.on},
                    {"images", report.images},
                    {"pixel_auroc", report.pixel_auroc},
                    {"image_auroc", report.image_auroc},
                    {"mirrored_image_auroc", report.mirrored_image_auroc},
                    {"mean_clean_score", report.mean_clean_score},
                    {"mean_stroked_score", report.mean_stroked_score},
                    {"varied_strokes", figures(varied)},
                    {"erased_strokes", figures(erased)},
                    {"seconds", seconds}};
        write_text(options.json_path, out.dump(2) + "\n");
    }
    return 0;
}

int run_search_comparison_protocol(const SearchComparisonOptions& options) {
    SearchComparisonParams params = options.params;
    params.digits = digit_list(options.digits);
    const MnistSet mnist = load_mnist(data_or_default(options.data_dir));
    std::printf("AnoGAN latent search (%d steps) vs encoder: %zu digits, %d random test images each\n",
                params.search.search_steps, params.digits.size(), params.test_images);
    std::fflush(stdout);
    const Clock::time_point start = Clock::now();
    ProgressLine line;
    const std::vector<SearchComparisonRun> runs = run_search_comparison(mnist, params, protocol_log(line));
    std::printf("\n| digit | encoder AUROC | ms/image | latent search AUROC | ms/image |\n|---|---|---|---|---|\n");
    json rows = json::array();
    for (const SearchComparisonRun& run : runs) {
        std::printf("| %d | %.4f | %.2f | %.4f | %.1f |\n", run.digit, run.encoder_auroc, run.encoder_ms_per_image,
                    run.search_auroc, run.search_ms_per_image);
        rows.push_back({{"digit", run.digit}, {"encoder_auroc", run.encoder_auroc},
                        {"encoder_ms_per_image", run.encoder_ms_per_image}, {"search_auroc", run.search_auroc},
                        {"search_ms_per_image", run.search_ms_per_image}});
    }
    const double seconds = seconds_since(start);
    std::printf("wall time %s (%.0f s)\n", format_duration(seconds).c_str(), seconds);
    if (!options.json_path.empty()) {
        json out = {{"protocol", "AnoGAN latent search vs encoder, one-class"},
                    {"test_images", params.test_images},
                    {"search_steps", params.search.search_steps},
                    {"digits", rows},
                    {"seconds", seconds}};
        write_text(options.json_path, out.dump(2) + "\n");
    }
    return 0;
}

int run_drawn_protocol(const DrawnOptions& options) {
#ifdef ODDIGIT_HAVE_IMAGE_IO
    const std::string model_path = model_or_default(options.model_path);
    const AnomalyModel model = AnomalyModel::load(model_path);
    const Clock::time_point start = Clock::now();
    const DrawnSet set = draw_glyphs({options.samples_per_template, options.seed});
    const DrawnReport report = run_drawn(model, set);
    const double seconds = seconds_since(start);
    std::printf("drawn input with %s: %d digits, %d letters and symbols (+ %d from held-out templates)\n",
                model_path.c_str(), report.digits, report.non_digits, report.held_out_non_digits);
    std::printf("image AUROC, letters and symbols vs digits   %.4f (held-out templates %.4f)\n", report.auroc,
                report.held_out_auroc);
    std::printf("flagged at the threshold: digits %.1f %%, letters %.1f %%, symbols %.1f %%, held-out %.1f %%\n",
                100 * report.digits_flagged, 100 * report.letters_flagged, 100 * report.symbols_flagged,
                100 * report.held_out_flagged);
    if (report.best_digit_accuracy >= 0)
        std::printf("digit head: AUROC by the not-a-digit term alone %.4f; drawn digits it names right %.1f %%\n",
                    report.digit_head_auroc, 100 * report.best_digit_accuracy);
    if (report.other_digits_auroc >= 0)
        std::printf("digits of the other classes vs the normal ones: image AUROC %.4f, flagged %.1f %%\n",
                    report.other_digits_auroc, 100 * report.other_digits_flagged);
    std::string line;
    json glyphs = json::array();
    for (const GlyphRate& glyph : report.glyphs) {
        char cell[64];
        std::snprintf(cell, sizeof cell, "%s%s %.0f%%  ", glyph.name.c_str(),
                      glyph.held_out ? "*" : glyph.other_class ? "!" : "", 100 * glyph.flagged);
        line += cell;
        glyphs.push_back({{"template", glyph.name}, {"held_out", glyph.held_out}, {"flagged", glyph.flagged},
                          {"kind", glyph.kind == GlyphKind::Digit ? "digit" : glyph.kind == GlyphKind::Letter ? "letter" : "symbol"},
                          {"other_class", glyph.other_class}});
    }
    std::printf("flagged per template (* held out, ! a digit outside the normal classes): %s\n%.1f s\n", line.c_str(),
                seconds);
    if (!options.pictures_dir.empty()) {
        ScoreParams as_drawings;  // as run_drawn scores them
        as_drawings.input = InputKind::Drawn;
        for (int64_t i = 0; i < set.images.size(); i += options.samples_per_template) {
            std::string name = set.names[i];
            std::replace(name.begin(), name.end(), ' ', '-');
            const Image28 image = set.images.at(i);
            write_score_picture(options.pictures_dir + "/" + std::to_string(i / options.samples_per_template) + "-" +
                                    name + ".png",
                                image, model.score(image, as_drawings),
                                thresholds_for(model.info(), InputKind::Drawn).heat_full_scale);
        }
    }
    if (!options.json_path.empty()) {
        json out = {{"protocol", "drawn input: digits, letters and symbols drawn from stroke templates"},
                    {"model", model_path},
                    {"seed", options.seed},
                    {"samples_per_template", options.samples_per_template},
                    {"digits", report.digits},
                    {"non_digits", report.non_digits},
                    {"held_out_non_digits", report.held_out_non_digits},
                    {"auroc", report.auroc},
                    {"held_out_auroc", report.held_out_auroc},
                    {"digits_flagged", report.digits_flagged},
                    {"letters_flagged", report.letters_flagged},
                    {"symbols_flagged", report.symbols_flagged},
                    {"held_out_flagged", report.held_out_flagged},
                    {"best_digit_accuracy", report.best_digit_accuracy},
                    {"digit_head_auroc", report.digit_head_auroc},
                    {"other_digits_auroc", report.other_digits_auroc},
                    {"other_digits_flagged", report.other_digits_flagged},
                    {"templates", glyphs},
                    {"seconds", seconds}};
        write_text(options.json_path, out.dump(2) + "\n");
    }
    return 0;
#else
    (void)options;
    throw Error("the drawn-input protocol needs a build with ODDIGIT_IMAGE_IO (OpenCV)");
#endif
}

}  // namespace oddigit::cli
