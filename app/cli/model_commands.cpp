#include "commands.h"

#include <array>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "cli_support.h"
#include "oddigit/calibration.h"
#include "oddigit/error.h"
#include "oddigit/mnist.h"
#include "oddigit/model.h"
#include "oddigit/score.h"

namespace oddigit::cli {

namespace {

const char* reader_term_name(ReaderTerm term) {
    switch (term) {
        case ReaderTerm::Energy: return "energy";
        case ReaderTerm::Neighbours: return "neighbours";
        case ReaderTerm::NotADigit: return "not-a-digit";
    }
    return "?";
}

// Rescores the normal images a model held out (rebuilt from the seed it records) and saves
// it with the new validation values and thresholds: for a model calibrated for an older score.
struct CalibrateOptions {
    std::string model_path;
    std::string data_dir;
    std::string output_path;           // default: overwrite the model (atomically)
    double validation_fraction = 0.1;  // as given to train, to rebuild its split
    // By ShapeTerm, >= 0: set the model's weight of the term before calibrating (fitting a
    // feature density it lacks).
    std::array<float, kShapeTerms.size()> weights = {-1, -1, -1, -1};
    float shape_share = -1;            // > 0: set the shape channel's share of the alarms
};

int run_calibrate(const CalibrateOptions& options) {
    AnomalyModel model = AnomalyModel::load(options.model_path, StaleCalibration::Drop);
    const NormalSplit split = training_split(model, options.model_path, options.data_dir, options.validation_fraction);
    for (ShapeTerm term : kShapeTerms) {
        const float weight = options.weights[static_cast<size_t>(term)];
        if (weight < 0) continue;
        if (term == ShapeTerm::Density && !model.info().knows_density) fit_density(model, split.train);
        if (!measures(model.info(), term))
            throw Error("'" + options.model_path + "' lacks the part its '" + names_of(term).label +
                        "' term reads (it was trained before there was one, or without it); train it again");
        model.info().terms[term].weight = weight;
    }
    if (options.shape_share > 0) model.info().shape_share = options.shape_share;
    const std::string output = options.output_path.empty() ? options.model_path : options.output_path;
    calibrate_and_save(model, split.validation, output);
    const ModelInfo& info = model.info();
    std::printf("calibrated on %lld held-out images: thresholds %s, each at its channel's %.4f quantile (%.0f%% of "
                "the held-out images unflagged); saved to %s\n",
                static_cast<long long>(split.validation.size()), thresholds_text(info).c_str(), info.mnist.channel_quantile,
                100.0 * info.threshold_quantile, output.c_str());
    return 0;
}

void print_calibration(const char* title, const Calibration& calibration, const ModelInfo& info, const char* images) {
    std::printf("%-17sstroke threshold %.6f, shape threshold ", title, calibration.stroke);
    if (has_shape_channel(info))
        std::printf("%.6f", calibration.shape);
    else
        std::printf("none (no shape term has a weight: only the stroke channel flags)");
    std::printf(", heat full scale %.6f; each threshold at its channel's %.4f quantile of %zu %s\n",
                calibration.heat_full_scale, calibration.channel_quantile, calibration.validation_scores.size(), images);
}

int run_info(const std::string& model_path) {
    const AnomalyModel model = AnomalyModel::load(model_path);
    const ModelInfo& info = model.info();
    std::printf("model:           %s\n", model_path.c_str());
    std::printf("created by:      %s\n", info.created_by.c_str());
    std::printf("architecture:    latent_dim %d, width %d\n", info.architecture.latent_dim, info.architecture.width);
    std::string class_names;
    for (const std::string& name : info.normal_classes.class_names()) class_names += (class_names.empty() ? "" : ",") + name;
    std::printf("classes:         %d (%s), normal %s\n", info.architecture.classes,
                class_names.empty() ? "MNIST's digits" : class_names.c_str(),
                info.normal_classes.names().c_str());
    std::printf("learnt from:     %s%s%s\n", info.data_source.record().c_str(), info.test_data ? "; tested on " : "",
                info.test_data ? info.test_data->record().c_str() : "");
    std::printf("kappa:           %g (stroke channel: pixel residual + kappa * feature residual)\n", info.terms.kappa);
    for (ShapeTerm term : kShapeTerms) {
        const std::string title = std::string(names_of(term).label) + ":";
        const TermWeight& weighed = info.terms[term];
        if (!measures(info, term))
            std::printf("%-17snone (the model lacks the part it reads: one from before it, or trained without it)\n",
                        title.c_str());
        else if (names_of(term).scaled)
            std::printf("%-17sweight %g, scale %g (shape channel adds weight * scale * %s)\n", title.c_str(),
                        weighed.weight, weighed.scale, names_of(term).meaning);
        else
            std::printf("%-17sweight %g (shape channel adds weight * %s)\n", title.c_str(), weighed.weight,
                        names_of(term).meaning);
    }
    if (info.architecture.readers > 0)
        std::printf("digit readers:   %d of %d features, term %s, offset %g\n", info.architecture.readers,
                    info.architecture.reader_features, reader_term_name(info.reader_term), info.reader_offset);
    std::printf("flagged:         %.1f%% of the held-out normal images of each calibration; the score fuses the "
                "channels by tail probability (1 where a channel reaches its threshold)\n",
                100.0 * (1.0 - info.threshold_quantile));
    print_calibration("scans:", info.mnist, info, "held-out normal images");
    if (info.canvas.is_set())
        print_calibration("for drawings:", info.canvas, info, "held-out images redrawn as the canvas draws them");
    else
        std::printf("for drawings:    the scans' calibration (no canvas calibration: calibrate, in a build that reads "
                    "images, sets one)\n");
    std::printf("training:        %s\n", info.training_json.c_str());
    return 0;
}

}  // namespace

void add_model_commands(CLI::App& app, Commands& commands, int& threads) {
    auto calibration = std::make_shared<CalibrateOptions>();
    CLI::App* calibrate_command = app.add_subcommand(
        "calibrate", "recompute a model's thresholds on the images it held out (after the score changed)");
    calibrate_command->add_option("--model", calibration->model_path, "model file")->required();
    add_data_option(*calibrate_command, calibration->data_dir);
    calibrate_command->add_option("--out", calibration->output_path, "write here instead of overwriting the model");
    calibrate_command->add_option("--validation-fraction", calibration->validation_fraction, "as given to train")
        ->check(CLI::Range(0.01, 0.5))
        ->capture_default_str();
    for (ShapeTerm term : kShapeTerms)
        calibrate_command->add_option(weight_option(term), calibration->weights[static_cast<size_t>(term)],
                                      "set the " + weight_help(term) + " first" +
                                          (term == ShapeTerm::Density ? " (a model without a feature density gets "
                                                                        "one, fitted on the images it learnt from)"
                                                                      : ""))
            ->check(CLI::NonNegativeNumber);
    calibrate_command->add_option("--shape-share", calibration->shape_share,
                                  "set the shape channel's share of the held-out images flagged first (0.5: as many as "
                                  "the stroke channel's)")
        ->check(CLI::Range(0.05, 0.95));
    add_threads_option(*calibrate_command, threads);
    commands.push_back({calibrate_command, [calibration] { return run_calibrate(*calibration); }});

    auto info_path = std::make_shared<std::string>();
    CLI::App* info_command = app.add_subcommand("info", "show what a model file holds");
    info_command->add_option("model", *info_path, "model file")->required();
    commands.push_back({info_command, [info_path] { return run_info(*info_path); }});
}

}  // namespace oddigit::cli
