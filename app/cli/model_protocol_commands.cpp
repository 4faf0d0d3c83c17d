#include "commands.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
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
#include "report.h"
#ifdef ODDIGIT_HAVE_IMAGE_IO
#include "oddigit/drawn.h"
#include "oddigit/preprocess.h"
#include "oddigit/shape_question.h"
#endif

namespace oddigit::cli {

namespace {

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

// Digits, letters and symbols drawn from stroke templates (oddigit/drawn.h); needs image IO.
struct DrawnOptions {
    std::string model_path;
    std::string json_path;
    std::string pictures_dir;  // one PNG per template, of its first drawing: input | reconstruction | heatmap
    int samples_per_template = 30;
    uint64_t seed = 1;
};

// The shape question on real non-digits (oddigit/shape_question.h); needs image IO.
struct ShapeOptions {
    std::string model_path;
    std::string data_dir;
    std::string characters;            // the folder of non-digit images, e.g. the Omniglot set
    std::string digits;                // real digits rendered as the characters were, e.g. the UNIPEN set
    std::string json_path;
    double validation_fraction = 0.1;  // as given to train, to rebuild its split
};

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
    const ImageBatch digits =
        options.on == "validation" ? training_split(model, model_path, options.data_dir, options.validation_fraction).validation
                                   : images_of(load_mnist_test(data_or_default(options.data_dir)), model.info().normal_classes);
    const Stopwatch start;
    std::vector<LocalizationReport> reports;
    for (StrokeStyle style : {StrokeStyle::Straight, StrokeStyle::Varied, StrokeStyle::Erased}) {
        LocalizationParams params = options.params;
        params.style = style;
        reports.push_back(run_localization(model, digits, params));
    }
    const auto figures = [](const LocalizationReport& r) {
        return Report{{"pixel_auroc", r.pixel_auroc},           {"image_auroc", r.image_auroc},
                      {"stroke_image_auroc", r.stroke_image_auroc}, {"stroked_flagged", r.stroked_flagged},
                      {"mean_stroked_score", r.mean_stroked_score}};
    };
    const LocalizationReport& straight = reports[0];
    const Report report = {{"protocol", "localization: one random foreign stroke per digit, straight (top level) and "
                                        "varied, or one erased"},
                           {"model", model_path},
                           {"digits", options.on},
                           {"images", straight.images},
                           {"pixel_auroc", straight.pixel_auroc},
                           {"image_auroc", straight.image_auroc},
                           {"stroke_image_auroc", straight.stroke_image_auroc},
                           {"stroked_flagged", straight.stroked_flagged},
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

#ifdef ODDIGIT_HAVE_IMAGE_IO
Report rates(const std::vector<ShapeSetRate>& groups) {
    Report rows = Report::array();
    for (const ShapeSetRate& group : groups) {
        Report row = {{"name", group.name}, {"images", group.images}, {"flagged", group.flagged}};
        if (group.shape_auroc >= 0) row["shape_auroc_vs_redrawn"] = group.shape_auroc;
        rows.push_back(row);
    }
    return rows;
}
#endif

int run_shape_protocol([[maybe_unused]] const ShapeOptions& options) {
#ifdef ODDIGIT_HAVE_IMAGE_IO
    const std::string model_path = model_or_default(options.model_path);
    const AnomalyModel model = AnomalyModel::load(model_path);
    const ImageBatch held_out = training_split(model, model_path, options.data_dir, options.validation_fraction).validation;
    const LoadedImages characters = load_inputs(options.characters);
    const Stopwatch start;
    const ImageBatch digits = options.digits.empty() ? ImageBatch{} : load_inputs(options.digits).images;
    const ShapeQuestionReport result = run_shape_question(model, held_out, characters.images, characters.names, digits);
    const Report report = {{"protocol", "the shape question: real non-digits against the held-out digits redrawn as "
                                        "they were drawn, and the held-out digits through other pipelines"},
                           {"model", model_path},
                           {"characters", options.characters},
                           {"held_out", result.held_out},
                           {"images", result.characters},
                           {"shape_auroc_vs_redrawn", result.shape_auroc_vs_redrawn},
                           {"shape_auroc_vs_plain", result.shape_auroc_vs_plain},
                           {"fused_auroc_vs_redrawn", result.fused_auroc_vs_redrawn},
                           {"digits", options.digits},
                           {"digit_images", result.digits},
                           {"shape_auroc_vs_digits", result.shape_auroc_vs_digits},
                           {"fused_auroc_vs_digits", result.fused_auroc_vs_digits},
                           {"digits_flagged", result.digits_flagged},
                           {"flagged", result.characters_flagged},
                           {"held_out_flagged", result.held_out_flagged},
                           {"groups", rates(result.groups)},
                           {"pipelines", rates(result.pipelines)},
                           {"seconds", start.seconds()}};
    print_report(report);
    save_report(report, options.json_path);
    return 0;
#else
    throw Error("the shape question needs a build with ODDIGIT_IMAGE_IO (OpenCV)");
#endif
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

void add_shape(CLI::App& protocol, Commands& commands, int& threads) {
    auto options = std::make_shared<ShapeOptions>();
    CLI::App* command = protocol.add_subcommand(
        "shape", "real non-digits (e.g. the Omniglot choice set) against the model's held-out digits redrawn as they "
                 "were drawn, by the shape channel; and the held-out digits through other scanning pipelines");
    command->add_option("--model", options->model_path, "model file (default: the bundled model)");
    add_data_option(*command, options->data_dir);
    command->add_option("--characters", options->characters, "folder of non-digit images (named GROUP-...)")
        ->required()
        ->check(CLI::ExistingDirectory);
    command->add_option("--digits", options->digits,
                        "folder of real digits rendered as the characters were (e.g. the UNIPEN set): the characters "
                        "against them too, and the share of them flagged")
        ->check(CLI::ExistingDirectory);
    command->add_option("--validation-fraction", options->validation_fraction, "as given to train")
        ->check(CLI::Range(0.01, 0.5))
        ->capture_default_str();
    command->add_option("--json", options->json_path, "write the results as JSON");
    add_threads_option(*command, threads);
    commands.push_back({command, [options] { return run_shape_protocol(*options); }});
}

}  // namespace

void add_model_protocols(CLI::App& protocol, Commands& commands, int& threads) {
    add_localization(protocol, commands, threads);
    add_drawn(protocol, commands, threads);
    add_shape(protocol, commands, threads);
}

}  // namespace oddigit::cli
