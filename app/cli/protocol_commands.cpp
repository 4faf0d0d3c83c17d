#include "commands.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cli_support.h"
#include "oddigit/error.h"
#include "oddigit/image.h"
#include "oddigit/mnist.h"
#include "oddigit/model.h"
#include "oddigit/protocol.h"
#include "oddigit/runtime.h"
#include "oddigit/train.h"
#include "report.h"
#include "terminal.h"
#ifdef ODDIGIT_HAVE_IMAGE_IO
#include "oddigit/drawn.h"
#include "oddigit/preprocess.h"
#endif

namespace oddigit::cli {

namespace {

struct OneClassOptions {
    std::string data_dir;
    std::string digits = "0-9";
    std::vector<int> seeds = {1};
    std::string json_path;
    TrainParams params;
};

struct LeaveOneOutOptions {
    std::string data_dir;
    std::string digits = "0-9";
    std::string json_path;
    LeaveOneOutParams params;
};

struct LocalizationOptions {
    std::string model_path;
    std::string data_dir;
    std::string json_path;
    std::string pictures_dir;  // PNGs of the first examples: input | reconstruction | heatmap
    int examples = 8;
    std::string on = "test";           // "test": test digits; "validation": the model's held-out images
    double validation_fraction = 0.1;  // as given to train, to rebuild its split
    LocalizationParams params;
};

struct SearchComparisonOptions {
    std::string data_dir;
    std::string digits = "1,4,8";
    std::string json_path;
    SearchComparisonParams params;
};

// Digits, letters and symbols drawn from stroke templates (oddigit/drawn.h); needs image IO.
struct DrawnOptions {
    std::string model_path;
    std::string json_path;
    std::string pictures_dir;  // one PNG per template, of its first drawing: input | reconstruction | heatmap
    int samples_per_template = 30;
    uint64_t seed = 1;
};

std::vector<int> digit_list(const std::string& text) {
    const ClassSet set = ClassSet::parse(text);
    std::vector<int> digits;
    for (int d = 0; d < 10; ++d)
        if (set.contains(d)) digits.push_back(d);
    return digits;
}

// The recipe a protocol trained with; an epoch count of 0 is default_epochs() of each training set.
Report recipe(const TrainParams& params) {
    const auto epochs = [](int count) { return count > 0 ? Report(count) : Report("default"); };
    return {{"gan_epochs", epochs(params.gan_epochs)}, {"encoder_epochs", epochs(params.encoder_epochs)},
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

int run_one_class_protocol(const OneClassOptions& options, int threads) {
    OneClassParams params;
    params.digits = digit_list(options.digits);
    params.seeds = options.seeds;
    params.train = options.params;
    params.train.threads = threads;
    const MnistSet mnist = load_mnist(data_or_default(options.data_dir));
    ProgressLine line;
    const OneClassReport result = run_one_class(mnist, params, protocol_log(line), progress_callbacks(line));
    line.finish();
    Report digits = Report::array();
    for (int d : params.digits) {
        Report runs = Report::array();
        for (const OneClassRun& run : result.runs)
            if (run.digit == d) runs.push_back({{"seed", run.seed}, {"auroc", run.auroc}, {"seconds", run.seconds}});
        digits.push_back({{"digit", d}, {"mean", result.mean_auroc(d)}, {"std", result.std_auroc(d)}, {"runs", runs}});
    }
    const Report report = {{"protocol", "one-class (train on digit k, test on all 10,000 test images)"},
                           {"seeds", params.seeds},
                           {"digits", digits},
                           {"mean_auroc", result.mean_auroc()},
                           {"seconds", result.seconds},
                           {"settings", recipe(params.train)}};
    print_report(report);
    save_report(report, options.json_path);
    return 0;
}

int run_leave_one_out_protocol(const LeaveOneOutOptions& options, int threads) {
    LeaveOneOutParams params = options.params;
    params.digits = digit_list(options.digits);
    params.train.threads = threads;
    const MnistSet mnist = load_mnist(data_or_default(options.data_dir));
    ProgressLine line;
    const LeaveOneOutReport result = run_leave_one_out(mnist, params, protocol_log(line), progress_callbacks(line));
    line.finish();
    Report rows = Report::array();
    for (const LeaveOneOutRun& run : result.runs)
        rows.push_back({{"digit", run.digit}, {"auroc", run.auroc}, {"train_images", run.train_images},
                        {"test_normal_images", run.test_normal_images},
                        {"test_anomalous_images", run.test_anomalous_images}, {"seconds", run.seconds}});
    const Report report = {{"protocol", "leave-one-out (GANomaly split: digit k anomalous, the other nine normal, "
                                        "train+test pooled and split 80/20)"},
                           {"seed", params.seed},
                           {"digits", rows},
                           {"mean_auroc", result.mean_auroc()},
                           {"seconds", result.seconds},
                           {"settings", recipe(params.train)}};
    print_report(report);
    save_report(report, options.json_path);
    return 0;
}

void write_localization_pictures([[maybe_unused]] const AnomalyModel& model,
                                 [[maybe_unused]] const std::vector<LocalizationReport>& reports,
                                 [[maybe_unused]] const LocalizationOptions& options) {
#ifdef ODDIGIT_HAVE_IMAGE_IO
    ImageBatch examples;
    const int count = std::min<int>(options.examples, reports.front().images);
    for (int i = 0; i < count; ++i) examples.append(reports.front().clean.image(i));
    for (const LocalizationReport& report : reports)
        for (int i = 0; i < count; ++i) examples.append(report.stroked.image(i));
    const std::vector<ImageScore> scores = model.score(examples);
    const char* kinds[] = {"clean", "stroked", "varied", "erased"};
    for (int i = 0; i < static_cast<int>(scores.size()); ++i) {
        char name[48];
        std::snprintf(name, sizeof name, "/%s-%02d.png", kinds[i / count], i % count);
        write_score_picture(options.pictures_dir + name, examples.at(i), scores[i], model.info().mnist.heat_full_scale);
    }
#else
    throw Error("--pictures needs a build with ODDIGIT_IMAGE_IO");
#endif
}

int run_localization_protocol(const LocalizationOptions& options) {
    const std::string model_path = model_or_default(options.model_path);
    const AnomalyModel model = AnomalyModel::load(model_path);
    const MnistSet mnist = load_mnist(data_or_default(options.data_dir));
    const ImageBatch digits = options.on == "validation"
                                  ? training_split(model, model_path, mnist, options.validation_fraction).validation
                                  : images_of(mnist.test, model.info().normal_classes);
    const Stopwatch start;
    std::vector<LocalizationReport> reports;
    for (StrokeStyle style : {StrokeStyle::Straight, StrokeStyle::Varied, StrokeStyle::Erased}) {
        LocalizationParams params = options.params;
        params.style = style;
        reports.push_back(run_localization(model, digits, params));
    }
    const auto figures = [](const LocalizationReport& r) {
        return Report{{"pixel_auroc", r.pixel_auroc}, {"image_auroc", r.image_auroc}, {"mean_stroked_score", r.mean_stroked_score}};
    };
    const LocalizationReport& straight = reports[0];
    const Report report = {{"protocol", "localization: one random foreign stroke per digit, straight (top level) and "
                                        "varied, or one erased"},
                           {"model", model_path},
                           {"digits", options.on},
                           {"images", straight.images},
                           {"pixel_auroc", straight.pixel_auroc},
                           {"image_auroc", straight.image_auroc},
                           {"mirrored_image_auroc", straight.mirrored_image_auroc},
                           {"mean_clean_score", straight.mean_clean_score},
                           {"mean_stroked_score", straight.mean_stroked_score},
                           {"varied_strokes", figures(reports[1])},
                           {"erased_strokes", figures(reports[2])},
                           {"seconds", start.seconds()}};
    print_report(report);
    if (!options.pictures_dir.empty()) write_localization_pictures(model, reports, options);
    save_report(report, options.json_path);
    return 0;
}

int run_search_comparison_protocol(const SearchComparisonOptions& options, int threads) {
    SearchComparisonParams params = options.params;
    params.digits = digit_list(options.digits);
    params.train.threads = threads;
    const MnistSet mnist = load_mnist(data_or_default(options.data_dir));
    const Stopwatch start;
    ProgressLine line;
    const std::vector<SearchComparisonRun> runs = run_search_comparison(mnist, params, protocol_log(line));
    line.finish();
    Report rows = Report::array();
    for (const SearchComparisonRun& run : runs)
        rows.push_back({{"digit", run.digit}, {"encoder_auroc", run.encoder_auroc},
                        {"encoder_ms_per_image", run.encoder_ms_per_image}, {"search_auroc", run.search_auroc},
                        {"search_ms_per_image", run.search_ms_per_image}});
    const Report report = {{"protocol", "AnoGAN latent search vs encoder, one-class"},
                           {"test_images", params.test_images},
                           {"search_steps", params.search.search_steps},
                           {"digits", rows},
                           {"seconds", start.seconds()}};
    print_report(report);
    save_report(report, options.json_path);
    return 0;
}

#ifdef ODDIGIT_HAVE_IMAGE_IO
void write_drawn_pictures(const AnomalyModel& model, const DrawnSet& set, const DrawnOptions& options) {
    ScoreParams as_drawings;  // as run_drawn scores them
    as_drawings.input = InputKind::Drawn;
    for (int64_t i = 0; i < set.images.size(); i += options.samples_per_template) {
        std::string name = set.names[i];
        std::replace(name.begin(), name.end(), ' ', '-');
        const Image28 image = set.images.at(i);
        write_score_picture(options.pictures_dir + "/" + std::to_string(i / options.samples_per_template) + "-" + name + ".png",
                            image, model.score(image, as_drawings), calibration_for(model.info(), InputKind::Drawn).heat_full_scale);
    }
}

const char* kind_name(GlyphKind kind) {
    switch (kind) {
        case GlyphKind::Digit: return "digit";
        case GlyphKind::Letter: return "letter";
        case GlyphKind::Symbol: return "symbol";
        case GlyphKind::OddDigit: return "odd digit";
    }
    return "";
}
#endif

int run_drawn_protocol([[maybe_unused]] const DrawnOptions& options) {
#ifdef ODDIGIT_HAVE_IMAGE_IO
    const std::string model_path = model_or_default(options.model_path);
    const AnomalyModel model = AnomalyModel::load(model_path);
    const Stopwatch start;
    const DrawnSet set = draw_glyphs({options.samples_per_template, options.seed});
    const DrawnReport result = run_drawn(model, set);
    Report templates = Report::array();
    for (const GlyphRate& glyph : result.glyphs)
        templates.push_back({{"template", glyph.name}, {"kind", kind_name(glyph.kind)}, {"held_out", glyph.held_out},
                             {"other_class", glyph.other_class}, {"flagged", glyph.flagged},
                             {"not_a_digit", glyph.not_a_digit}, {"odd_digit", glyph.odd_digit}});
    const Report report = {{"protocol", "drawn input: digits, letters and symbols drawn from stroke templates"},
                           {"model", model_path},
                           {"seed", options.seed},
                           {"samples_per_template", options.samples_per_template},
                           {"digits", result.digits},
                           {"non_digits", result.non_digits},
                           {"held_out_non_digits", result.held_out_non_digits},
                           {"auroc", result.auroc},
                           {"held_out_auroc", result.held_out_auroc},
                           {"digits_flagged", result.digits_flagged},
                           {"letters_flagged", result.letters_flagged},
                           {"symbols_flagged", result.symbols_flagged},
                           {"held_out_flagged", result.held_out_flagged},
                           {"letters_not_a_digit", result.letters_not_a_digit},
                           {"symbols_not_a_digit", result.symbols_not_a_digit},
                           {"digits_looking_like_themselves", result.digits_named_normal},
                           {"odd_digits", result.odd_digits},
                           {"odd_digits_flagged", result.odd_digits_flagged},
                           {"odd_digits_named_with_their_stroke", result.odd_digits_named},
                           {"best_digit_accuracy", result.best_digit_accuracy},
                           {"digit_head_auroc", result.digit_head_auroc},
                           {"other_digits_auroc", result.other_digits_auroc},
                           {"other_digits_flagged", result.other_digits_flagged},
                           {"templates", templates},
                           {"seconds", start.seconds()}};
    print_report(report);
    if (!options.pictures_dir.empty()) write_drawn_pictures(model, set, options);
    save_report(report, options.json_path);
    return 0;
#else
    throw Error("the drawn-input protocol needs a build with ODDIGIT_IMAGE_IO (OpenCV)");
#endif
}

void add_one_class(CLI::App& protocol, Commands& commands, int& threads) {
    auto options = std::make_shared<OneClassOptions>();
    CLI::App* command = protocol.add_subcommand(
        "one-class", "train on each digit alone, test on all 10,000 test images (others are anomalies)");
    add_data_option(*command, options->data_dir);
    command->add_option("--digits", options->digits, "digits to run, e.g. 0-9 or 1,3")->capture_default_str();
    command->add_option("--seeds", options->seeds, "seeds to run for each digit, e.g. 1,2,3")
        ->delimiter(',')
        ->check(CLI::Range(1, 1000000))
        ->capture_default_str();
    command->add_option("--json", options->json_path, "write the results as JSON");
    add_threads_option(*command, threads);
    add_train_settings(*command, options->params);
    commands.push_back({command, [options, &threads] { return run_one_class_protocol(*options, threads); }});
}

void add_leave_one_out(CLI::App& protocol, Commands& commands, int& threads) {
    auto options = std::make_shared<LeaveOneOutOptions>();
    CLI::App* command = protocol.add_subcommand(
        "leave-one-out", "each digit in turn is the anomaly, the other nine are normal (GANomaly's split)");
    add_data_option(*command, options->data_dir);
    command->add_option("--digits", options->digits, "anomaly digits to run, e.g. 0-9 or 1,3")->capture_default_str();
    command->add_option("--seed", options->params.seed, "random seed of the split and the training")->capture_default_str();
    command->add_option("--json", options->json_path, "write the results as JSON");
    add_threads_option(*command, threads);
    add_train_settings(*command, options->params.train);
    commands.push_back({command, [options, &threads] { return run_leave_one_out_protocol(*options, threads); }});
}

void add_localization(CLI::App& protocol, Commands& commands, int& threads) {
    auto options = std::make_shared<LocalizationOptions>();
    CLI::App* command = protocol.add_subcommand(
        "localization", "add a random foreign stroke to digits the model knows; how well do heatmaps find it?");
    command->add_option("--model", options->model_path, "model file (default: the bundled model)");
    add_data_option(*command, options->data_dir);
    command->add_option("--images", options->params.images, "stroked test digits")->check(CLI::Range(1, 10000))->capture_default_str();
    command->add_option("--seed", options->params.seed, "random seed of the strokes")->capture_default_str();
    command->add_option("--on", options->on,
                        "test: test digits of the model's classes; validation: the normal images it held out "
                        "(no test labels: for choosing recipes)")
        ->check(CLI::IsMember({"test", "validation"}))
        ->capture_default_str();
    command->add_option("--validation-fraction", options->validation_fraction, "with --on validation: as given to train")
        ->check(CLI::Range(0.01, 0.5))
        ->capture_default_str();
    command->add_option("--json", options->json_path, "write the results as JSON");
    command->add_option("--pictures", options->pictures_dir, "folder for example PNGs (clean and stroked)")
        ->check(CLI::ExistingDirectory);
    add_threads_option(*command, threads);
    commands.push_back({command, [options] { return run_localization_protocol(*options); }});
}

void add_search_comparison(CLI::App& protocol, Commands& commands, int& threads) {
    auto options = std::make_shared<SearchComparisonOptions>();
    CLI::App* command = protocol.add_subcommand(
        "search-vs-encoder", "one-class models scored with AnoGAN's latent search and with the encoder");
    add_data_option(*command, options->data_dir);
    command->add_option("--digits", options->digits, "digits to run")->capture_default_str();
    command->add_option("--test-images", options->params.test_images, "random test images scored")
        ->check(CLI::Range(2, 10000))
        ->capture_default_str();
    command->add_option("--json", options->json_path, "write the results as JSON");
    add_threads_option(*command, threads);
    add_train_settings(*command, options->params.train);
    command->add_option("--search-steps", options->params.search.search_steps, "latent-search iterations")
        ->check(CLI::Range(1, 100000))
        ->capture_default_str();
    commands.push_back({command, [options, &threads] { return run_search_comparison_protocol(*options, threads); }});
}

void add_drawn(CLI::App& protocol, Commands& commands, int& threads) {
    auto options = std::make_shared<DrawnOptions>();
    CLI::App* command = protocol.add_subcommand(
        "drawn", "digits, letters and symbols drawn from stroke templates: are the non-digits flagged?");
    command->add_option("--model", options->model_path, "model file (default: the bundled model)");
    command->add_option("--samples", options->samples_per_template, "drawings per template")
        ->check(CLI::Range(1, 10000))
        ->capture_default_str();
    command->add_option("--seed", options->seed, "random seed of the jitter")->capture_default_str();
    command->add_option("--json", options->json_path, "write the results as JSON");
    command->add_option("--pictures", options->pictures_dir, "folder for one PNG per template")->check(CLI::ExistingDirectory);
    add_threads_option(*command, threads);
    commands.push_back({command, [options] { return run_drawn_protocol(*options); }});
}

}  // namespace

void add_protocol_commands(CLI::App& app, Commands& commands, int& threads) {
    CLI::App* protocol = app.add_subcommand("protocol", "run a standard evaluation protocol");
    protocol->require_subcommand(1);
    add_one_class(*protocol, commands, threads);
    add_leave_one_out(*protocol, commands, threads);
    add_localization(*protocol, commands, threads);
    add_search_comparison(*protocol, commands, threads);
    add_drawn(*protocol, commands, threads);
}

}  // namespace oddigit::cli
