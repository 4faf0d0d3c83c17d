#pragma once
// The anomaly score's formula and the flag decision: each written once, here, for the engine,
// the command line and the app. Torch-free, so the GUI can include it.
//
// score(x) = pixel + kappa * feature + digit_weight * not_digit + density_weight * density_scale * density
// with x' = G(E(x)) and
//   pixel     = mean of the heatmap's kHotPixels hottest pixels, the heatmap being (x - x')^2 smoothed;
//   feature   = mean (f(x) - f(x'))^2 over D's last hidden layer f;
//   not_digit = -log P(x is one of the normal digits), from D's digit head (0 without one);
//   density   = squared Mahalanobis distance of f(x) to the nearest normal class (0 without a density).
// docs/method.md explains each term and docs/decisions.md how the weights were chosen.
#include "oddigit/model.h"

namespace oddigit {

// The score's four parts as they enter its sum, for any number type with + and float * (a
// float, or a tensor of a batch's values).
template <typename Value>
struct WeightedParts {
    Value pixel;
    Value feature;
    Value digit;
    Value density;

    // The residual and digit parts without the density: what calibration scales the density against.
    Value without_density() const { return pixel + feature + digit; }
    // The anomaly score.
    Value sum() const { return without_density() + density; }
};

// The weighted parts of one image's (or a batch's) raw terms under the model's weights.
template <typename Value>
WeightedParts<Value> weighted_parts(const ModelInfo& info, const Value& pixel, const Value& feature,
                                    const Value& not_digit, const Value& density) {
    return {pixel, info.kappa * feature, info.digit_weight * not_digit,
            info.density_weight * info.density_scale * density};
}

// The weighted parts of a scored image (encoder mode; in search mode the score is AnoGAN's
// search loss, not this sum).
inline WeightedParts<float> weighted_parts(const ModelInfo& info, const ImageScore& score) {
    return weighted_parts(info, score.pixel_residual, score.feature_residual, score.not_digit, score.feature_density);
}

// Whether a score is flagged anomalous at a threshold: it reaches it. Every caller decides
// with this: at the model's own ModelInfo::threshold, or at one a user picked in Explore
// (a double, hence the type: a float score and threshold compare exactly as floats).
inline bool flagged(double score, double threshold) { return score >= threshold; }

}  // namespace oddigit
