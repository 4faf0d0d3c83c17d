#include "commands.h"

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
    float digit_weight = -1;           // >= 0: set the model's digit weight before calibrating
    float density_weight = -1;         // >= 0: set its density weight, fitting a density it lacks
    float realness_weight = -1;        // >= 0: set its realness weight
    float shape_share = -1;            // > 0: set the shape channel's share of the alarms
};

int run_calibrate(const CalibrateOptions& options) {
    AnomalyModel model = AnomalyModel::load(options.model_path, StaleCalibration::Drop);
    const NormalSplit split = training_split(model, options.model_path, options.data_dir, options.validation_fraction);
    if (options.digit_weight >= 0) {
        if (!model.info().knows_digits)
            throw Error("'" + options.model_path + "' has no digit head (it was trained before there was one); train it again");
        model.info().digit_weight = options.digit_weight;
    }
    if (options.density_weight >= 0) {
        if (!model.info().knows_density) fit_density(model, split.train);
        model.info().density_weight = options.density_weight;
    }
    if (options.realness_weight >= 0) model.info().realness_weight = options.realness_weight;
    if (options.shape_share > 0) model.info().shape_share = options.shape_share;
    const std::string output = options.output_path.empty() ? options.model_path : options.output_path;
    finish(model, split.validation, output);
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
    for (const std::string& name : info.class_names) class_names += (class_names.empty() ? "" : ",") + name;
    std::printf("classes:         %d (%s), normal %s\n", info.architecture.classes,
                class_names.empty() ? "MNIST's digits" : class_names.c_str(),
                info.normal_classes.names(info.class_names).c_str());
    std::printf("learnt from:     %s%s%s\n", info.data_source.record().c_str(), info.test_data ? "; tested on " : "",
                info.test_data ? info.test_data->record().c_str() : "");
    std::printf("kappa:           %g (stroke channel: pixel residual + kappa * feature residual)\n", info.kappa);
    if (info.knows_digits)
        std::printf("digit head:      yes, digit_weight %g (shape channel adds digit_weight * -log P(a normal digit))\n",
                    info.digit_weight);
    else
        std::printf("digit head:      none (a model from before 0.2: the score is the residual alone)\n");
    if (info.knows_density)
        std::printf("feature density: yes, density_weight %g, density_scale %g (shape channel adds their product times "
                    "the squared Mahalanobis distance of D's features to the nearest normal class)\n",
                    info.density_weight, info.density_scale);
    else
        std::printf("feature density: none (a model from before it: the score has no density term)\n");
    std::printf("realness:        realness_weight %g, realness_scale %g (shape channel adds their product times "
                "-log sigmoid(D's realness logit of the reconstruction))\n",
                info.realness_weight, info.realness_scale);
    if (info.architecture.readers > 0)
        std::printf("digit readers:   %d of %d features, term %s, reader_weight %g, reader_scale %g, offset %g (shape "
                    "channel adds their weighted term)\n",
                    info.architecture.readers, info.architecture.reader_features, reader_term_name(info.reader_term),
                    info.reader_weight, info.reader_scale, info.reader_offset);
    else
        std::printf("digit readers:   none\n");
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
    calibrate_command->add_option("--digit-weight", calibration->digit_weight,
                                  "set the weight of the not-a-digit term in the score first")
        ->check(CLI::NonNegativeNumber);
    calibrate_command->add_option("--density-weight", calibration->density_weight,
                                  "set the weight of the feature-density term first; a model without a feature "
                                  "density gets one, fitted on the images it learned from")
        ->check(CLI::NonNegativeNumber);
    calibrate_command->add_option("--realness-weight", calibration->realness_weight,
                                  "set the weight of the reconstruction's fakeness in the shape channel first")
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
