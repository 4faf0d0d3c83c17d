#include "commands.h"

#include <cstdint>
#include <cstdio>
#include <string>

#include "cli_support.h"
#include "oddigit/error.h"
#include "oddigit/mnist.h"
#include "oddigit/model.h"
#include "oddigit/calibration.h"
#include "oddigit/score.h"
#include "oddigit/train.h"

namespace oddigit::cli {

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
    if (options.realness_weight >= 0) model.info().realness_weight = options.realness_weight;
    calibrate(model, validation, model.info().threshold_quantile);
    calibrate_canvas_where_built(model, validation);
    const std::string output = options.output_path.empty() ? options.model_path : options.output_path;
    model.save(output);
    const ModelInfo& info = model.info();
    std::printf("calibrated on %lld held-out images: stroke threshold %.5f, shape threshold %.5f, each at its %.4f "
                "quantile (%.0f%% of the held-out images unflagged)",
                static_cast<long long>(validation.size()), info.stroke_threshold, info.shape_threshold,
                info.channel_quantile, 100.0 * info.threshold_quantile);
    if (has_canvas_calibration(info))
        std::printf("; for drawings, on them redrawn: stroke %.5f, shape %.5f", info.canvas.stroke, info.canvas.shape);
    std::printf("; saved to %s\n", output.c_str());
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
    std::printf("realness:        realness_weight %g, realness_scale %g (shape channel adds their product times "
                "-log sigmoid(D's realness logit of the reconstruction))\n",
                info.realness_weight, info.realness_scale);
    std::printf("stroke threshold: %.6f (stroke channel: heat peak + kappa * feature residual)\n", info.stroke_threshold);
    if (has_shape_channel(info))
        std::printf("shape threshold:  %.6f (shape channel: the weighted not-a-digit, density and realness terms)\n",
                    info.shape_threshold);
    else
        std::printf("shape threshold:  none (no shape term has a weight: only the stroke channel flags)\n");
    std::printf("calibration:     each channel at its %.4f quantile, so %.1f%% of %zu held-out normal images are "
                "flagged\n",
                info.channel_quantile, 100.0 * (1.0 - info.threshold_quantile), info.validation_scores.size());
    std::printf("heat full scale: %.6f (heat drawn in full colour from here)\n", info.heat_full_scale);
    if (has_canvas_calibration(info))
        std::printf("for drawings:    stroke threshold %.6f, shape threshold %.6f, heat full scale %.6f (the canvas "
                    "calibration: the held-out images redrawn as the canvas draws)\n",
                    info.canvas.stroke, info.canvas.shape, info.canvas.heat_full_scale);
    else
        std::printf("for drawings:    the thresholds above (no canvas calibration: calibrate, in a build that reads "
                    "images, sets one)\n");
    std::printf("training:        %s\n", info.training_json.c_str());
    return 0;
}

}  // namespace oddigit::cli
