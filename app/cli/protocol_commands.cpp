#include "commands.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>

#include "oddigit/error.h"
#include "oddigit/idx.h"
#include "oddigit/mnist.h"
#include "oddigit/protocol.h"
#include "terminal.h"
#ifdef ODDIGIT_HAVE_FETCH
#include "oddigit/fetch.h"
#endif
#ifdef ODDIGIT_HAVE_IMAGE_IO
#include "oddigit/drawn.h"
#include "oddigit/preprocess.h"
#endif

namespace oddigit::cli {

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

std::string model_or_default(const std::string& path) { return path.empty() ? default_model_path() : path; }

std::string data_or_default(const std::string& dir) { return dir.empty() ? default_mnist_dir() : dir; }

void write_text(const std::string& path, const std::string& text) {
    std::ofstream out(path);
    out << text;
    out.close();
    if (!out) throw Error("cannot write '" + path + "'");
}

std::string progress_text(const TrainProgress& p) {
    char text[256];
    if (p.phase == TrainPhase::Gan)
        std::snprintf(text, sizeof text, "[GAN %d/%d] step %d/%d  D %.3f  G %.3f  %.0f img/s  ETA %s", p.epoch,
                      p.epochs, p.step, p.steps, p.discriminator_loss, p.generator_loss, p.images_per_second,
                      format_duration(p.eta_seconds).c_str());
    else if (p.phase == TrainPhase::Density)
        std::snprintf(text, sizeof text, "[feature density] chunk %d/%d  %.0f img/s  ETA %s", p.step, p.steps,
                      p.images_per_second, format_duration(p.eta_seconds).c_str());
    else
        std::snprintf(text, sizeof text, "[encoder %d/%d] step %d/%d  loss %.4f  %.0f img/s  ETA %s", p.epoch,
                      p.epochs, p.step, p.steps, p.encoder_loss, p.images_per_second,
                      format_duration(p.eta_seconds).c_str());
    return text;
}

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

// The normal images the model held out from training: its split rebuilt from the seed it
// records, checked against the count it records.
NormalSplit training_split(const AnomalyModel& model, const std::string& model_path, const MnistSet& mnist,
                           double validation_fraction) {
    const json training = json::parse(model.info().training_json, nullptr, false);
    if (training.is_discarded() || !training.contains("seed") || !training.contains("validation_images"))
        throw Error("'" + model_path + "' does not record its training seed and validation set");
    const NormalSplit split = split_normal(mnist.train, model.info().normal_classes, validation_fraction,
                                           training.at("seed").get<uint64_t>());
    if (split.validation.size() != training.at("validation_images").get<int64_t>())
        throw Error("'" + model_path + "' held out " + training.at("validation_images").dump() +
                    " images, this split has " + std::to_string(split.validation.size()) +
                    ": pass the --validation-fraction it was trained with");
    return split;
}

TrainCallbacks terminal_callbacks(ProgressLine& line, TrainProgress& last) {
    TrainCallbacks callbacks;
    callbacks.on_progress = [&line, &last](const TrainProgress& p) {
        last = p;
        line.update(progress_text(p));
    };
    callbacks.on_epoch = [&line, &last](const EpochSummary& e) {
        line.finish();
        char time[96];
        if (e.exchange_seconds > 0)
            std::snprintf(time, sizeof time, "(%.1f s, %.1f s of it with the other ranks)", e.seconds, e.exchange_seconds);
        else
            std::snprintf(time, sizeof time, "(%.1f s)", e.seconds);
        if (e.phase == TrainPhase::Gan)
            std::printf("GAN epoch %d/%d: D %.3f  G %.3f  D(x) %.2f  D(G(z)) %.2f  digit head %.3f  %s\n", e.epoch,
                        e.epochs, last.discriminator_loss, last.generator_loss, last.d_real, last.d_fake,
                        last.digit_loss, time);
        else
            std::printf("encoder epoch %d/%d: loss %.4f  held-out mean score %.4f  %s\n", e.epoch, e.epochs,
                        last.encoder_loss, e.validation_mean_score, time);
        std::fflush(stdout);
    };
    return callbacks;
}

}  // namespace

int run_train(const TrainOptions& options) {
    TrainParams params = options.params;
    params.normal_classes = ClassSet::parse(options.normal);
    DistributedParams& distributed = params.distributed;
    distributed = distributed_from_environment();
    if (options.world_size >= 0) distributed.world_size = options.world_size;
    if (options.rank >= 0) distributed.rank = options.rank;
    if (!options.master.empty()) {
        const size_t colon = options.master.rfind(':');
        if (colon == std::string::npos || colon == 0) throw Error("--master takes HOST:PORT, not '" + options.master + "'");
        distributed.master_addr = options.master.substr(0, colon);
        try {
            size_t used = 0;
            distributed.master_port = std::stoi(options.master.substr(colon + 1), &used);
            if (used != options.master.size() - colon - 1) throw std::invalid_argument("trailing characters");
        } catch (const std::exception&) {
            throw Error("--master takes HOST:PORT, not '" + options.master + "'");
        }
    }
    check_distributed(distributed);
    // One GPU per rank on a node: torchrun numbers the ranks of each node in $LOCAL_RANK.
    if (params.device == "cuda" && distributed.world_size > 1)
        if (const char* local_rank = std::getenv("LOCAL_RANK"); local_rank && *local_rank)
            params.device = std::string("cuda:") + local_rank;
    if (params.output_path.empty() && distributed.rank == 0) throw Error("--out is required");
    if (params.output_path.empty() && params.resume)
        throw Error("--resume needs --out on every rank: each reads the resume file beside it");
    const std::string data_dir = data_or_default(options.data_dir);
    const MnistSet mnist = load_mnist(data_dir);
    NormalSplit split = split_normal(mnist.train, params.normal_classes, options.validation_fraction, params.seed);
    if (options.limit > 0) split.train.keep_first(options.limit);
    std::printf("training on %lld images of classes %s (%lld held out for validation) from %s\n",
                static_cast<long long>(split.train.images.size()), params.normal_classes.to_string().c_str(),
                static_cast<long long>(split.validation.size()), data_dir.c_str());
    if (distributed.world_size > 1)
        std::printf("rank %d of %d, meeting at %s:%d; %d images of each batch of %d\n", distributed.rank,
                    distributed.world_size, distributed.master_addr.c_str(), distributed.master_port,
                    params.batch_size / distributed.world_size, params.batch_size);
    std::fflush(stdout);

    ProgressLine line;
    TrainProgress last;
    TrainResult result = train(split.train, split.validation, params, terminal_callbacks(line, last));
    line.finish();
    const ModelInfo& info = result.model.info();
    std::printf("trained in %s (%.1f s); model %s; threshold %.5f (%.0f%% of validation scores below)\n",
                format_duration(result.seconds).c_str(), result.seconds,
                params.output_path.empty() ? "not saved by this rank" : ("saved to " + params.output_path).c_str(),
                info.threshold, 100.0 * info.threshold_quantile);
    if (distributed.world_size > 1)
        std::printf("time with the other ranks: %.1f s (gradients %.1f s, BatchNorm statistics %.1f s, "
                    "losses and go-on flags %.1f s), waits for a slower rank included\n",
                    result.exchange.total(), result.exchange.gradients, result.exchange.batch_norm,
                    result.exchange.step_figures);
    return 0;
}

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
    const int64_t chunk = options.params.mode == ScoreMode::Encoder ? 2048 : 64;
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
    int64_t flagged = 0;
    const float threshold = model.info().threshold;
    for (size_t i = 0; i < scores.size(); ++i) {
        const bool is_flagged = scores[i].score >= threshold;
        flagged += is_flagged;
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
                static_cast<long long>(flagged), threshold);
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

int run_calibrate(const CalibrateOptions& options) {
    AnomalyModel model = AnomalyModel::load(options.model_path, StaleCalibration::Drop);
    const MnistSet mnist = load_mnist(data_or_default(options.data_dir));
    const NormalSplit split = training_split(model, options.model_path, mnist, options.validation_fraction);
    const ImageBatch& validation = split.validation;
    if (options.digit_weight >= 0) {
        if (!model.info().knows_digits)
            throw Error("'" + options.model_path + "' has no digit head (it was trained before there was one); train it again");
        model.info().digit_weight = options.digit_weight;
    }
    if (options.density_weight >= 0) {
        if (!model.info().knows_density) fit_density(model, split.train);
        model.info().density_weight = options.density_weight;
    }
    calibrate(model, validation, model.info().threshold_quantile);
    const std::string output = options.output_path.empty() ? options.model_path : options.output_path;
    model.save(output);
    std::printf("calibrated on %lld held-out images; threshold %.5f (%.0f%% of validation scores below); saved to %s\n",
                static_cast<long long>(validation.size()), model.info().threshold,
                100.0 * model.info().threshold_quantile, output.c_str());
    return 0;
}

int run_info(const std::string& model_path) {
    const AnomalyModel model = AnomalyModel::load(model_path);
    const ModelInfo& info = model.info();
    std::printf("model:           %s\n", model_path.c_str());
    std::printf("created by:      %s\n", info.created_by.c_str());
    std::printf("architecture:    latent_dim %d, width %d\n", info.architecture.latent_dim, info.architecture.width);
    std::printf("normal classes:  %s\n", info.normal_classes.to_string().c_str());
    std::printf("kappa:           %g\n", info.kappa);
    if (info.knows_digits)
        std::printf("digit head:      yes, digit_weight %g (score adds digit_weight * -log P(a normal digit))\n",
                    info.digit_weight);
    else
        std::printf("digit head:      none (a model from before 0.2: the score is the residual alone)\n");
    if (info.knows_density)
        std::printf("feature density: yes, density_weight %g, density_scale %g (score adds their product times the "
                    "squared Mahalanobis distance of D's features to the nearest normal class)\n",
                    info.density_weight, info.density_scale);
    else
        std::printf("feature density: none (a model from before it: the score has no density term)\n");
    std::printf("threshold:       %.6f (quantile %.2f of %zu validation scores)\n", info.threshold,
                info.threshold_quantile, info.validation_scores.size());
    std::printf("heat full scale: %.6f (heat drawn in full colour from here)\n", info.heat_full_scale);
    std::printf("training:        %s\n", info.training_json.c_str());
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
        for (int64_t i = 0; i < set.images.size(); i += options.samples_per_template) {
            std::string name = set.names[i];
            std::replace(name.begin(), name.end(), ' ', '-');
            const Image28 image = set.images.at(i);
            write_score_picture(options.pictures_dir + "/" + std::to_string(i / options.samples_per_template) + "-" +
                                    name + ".png",
                                image, model.score(image), model.info().heat_full_scale);
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

int run_fetch_mnist(const FetchOptions& options) {
#ifdef ODDIGIT_HAVE_FETCH
    FetchParams params;
    params.dir = data_or_default(options.dir);
    if (!options.mirror.empty()) params.mirrors = {options.mirror};
    ProgressLine line;
    const std::string mirror = fetch_mnist(params, [&line](const FetchProgress& p) {
        char text[160];
        std::snprintf(text, sizeof text, "file %d/%d %s: %.1f of %s MB", p.file_number, p.files, p.file.c_str(),
                      p.bytes / 1e6, p.total > 0 ? std::to_string(p.total / 1000000).c_str() : "?");
        line.update(text);
        return true;
    });
    line.finish();
    if (mirror.empty())
        std::printf("MNIST: the four files in %s were already there and verified\n", params.dir.c_str());
    else
        std::printf("MNIST: fetched from %s and verified (size and SHA-256) into %s\n", mirror.c_str(), params.dir.c_str());
    return 0;
#else
    (void)options;
    throw Error("this oddigit-cli was built without ODDIGIT_FETCH; fetch MNIST with scripts/fetch-mnist.sh");
#endif
}

}  // namespace oddigit::cli
