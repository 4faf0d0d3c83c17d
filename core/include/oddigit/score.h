#pragma once
// The anomaly score's formula and the flag decision: each written once, here, for the engine,
// the command line and the app. Torch-free, so the GUI can include it.
//
// The score answers two questions, each in its own channel, with x' = G(E(x)):
//   stroke = pixel_residual + kappa * feature_residual    "is a stroke odd?"
//   shape  = digit_weight * not_digit                     "is this a digit at all?"
//          + density_weight * density_scale * density
//          + realness_weight * realness_scale * realness
//          + reader_weight * reader_scale * reader
// (the weights and scales of ScoreTerms, oddigit/score_terms.h, whose names these are)
// where
//   pixel_residual   = mean of the heatmap's kHotPixels hottest pixels, the heatmap being (x - x')^2 smoothed;
//   feature_residual = mean (f(x) - f(x'))^2 over D's last hidden layer f;
//   not_digit = -log P(x is one of the normal digits), from D's digit head (0 without one);
//   density   = squared Mahalanobis distance of f(x) to the nearest normal class (0 without a density);
//   realness  = -log sigmoid(D's realness logit of x'): how fake the reconstruction looks;
//   reader    = the digit readers' doubt that x is a normal digit (ModelInfo::reader_term; 0 without readers).
// Each channel is divided by its own threshold (a Calibration of oddigit/model.h), giving a
// ratio, and an image is flagged when either ratio reaches 1. The score that ranks images fuses
// the channels by tail probability: each channel's value becomes its tail ratio, ln p / ln p_t,
// p its share among the held-out images' values of that channel and p_t the threshold's, and
// the score is the larger tail ratio, so it too reaches 1 exactly when a channel reaches its
// threshold (score/terms.h computes it).
// docs/method.md explains each term and docs/decisions.md how the weights were chosen.
#include <array>
#include <vector>

#include "oddigit/model.h"

namespace oddigit {

// Whether the model measures a shape term: it has the part the term reads (D's class head, the
// feature density, the readers); every model measures the realness.
inline bool measures(const ModelInfo& info, ShapeTerm term) {
    switch (term) {
        case ShapeTerm::NotAClass: return info.knows_classes;
        case ShapeTerm::Density: return info.knows_density;
        case ShapeTerm::Realness: return true;
        case ShapeTerm::Reader: return info.architecture.readers > 0;
    }
    return false;
}

// The score's terms as they enter its channels, for any number type with + and float * (a
// float, or a tensor of a batch's values).
template <typename Value>
struct WeightedParts {
    Value pixel_residual;
    Value feature_residual;
    std::array<Value, kShapeTerms.size()> shape_terms;  // by ShapeTerm

    const Value& operator[](ShapeTerm term) const { return shape_terms[static_cast<size_t>(term)]; }
    Value stroke() const { return pixel_residual + feature_residual; }
    Value shape() const {
        return shape_terms[0] + shape_terms[1] + shape_terms[2] + shape_terms[3];
    }
    // The parts the scaled terms' scales are measured against at calibration: the residuals
    // and the not-a-class part, so their weights read on the residuals' own scale.
    Value reference() const { return pixel_residual + feature_residual + (*this)[ShapeTerm::NotAClass]; }
};

// The weighted parts of one image's (or a batch's) raw terms under the model's weights, the
// shape terms' raw values by ShapeTerm.
template <typename Value>
WeightedParts<Value> weighted_parts(const ScoreTerms& terms, const Value& pixel_residual, const Value& feature_residual,
                                    const std::array<Value, kShapeTerms.size()>& shape_values) {
    const auto weighted = [&](ShapeTerm term) {
        return terms[term].weight * terms[term].scale * shape_values[static_cast<size_t>(term)];
    };
    return {pixel_residual,
            terms.kappa * feature_residual,
            {weighted(ShapeTerm::NotAClass), weighted(ShapeTerm::Density), weighted(ShapeTerm::Realness),
             weighted(ShapeTerm::Reader)}};
}

// The weighted parts of an image scored in encoder mode (in search mode the score is AnoGAN's
// search loss and the channels are not computed).
inline WeightedParts<float> weighted_parts(const ModelInfo& info, const ScoreFigures& score) {
    return weighted_parts<float>(info.terms, score.pixel_residual, score.feature_residual,
                                 {score.not_digit, score.feature_density, score.realness, score.reader});
}

// One weighted term of a channel, by the name people read ("not a digit", "density", ...).
struct NamedPart {
    const char* name;
    float value;
};

// The shape channel's terms the model adds, in the formula's order: those it measures with a
// weight above 0, so that their values add up to the shape channel's value.
inline std::vector<NamedPart> shape_parts(const ModelInfo& info, const WeightedParts<float>& parts) {
    std::vector<NamedPart> named;
    for (ShapeTerm term : kShapeTerms)
        if (measures(info, term) && info.terms[term].weight > 0) named.push_back({names_of(term).label, parts[term]});
    return named;
}

// Whether the model's score has a shape channel: a shape term with a weight above 0.
inline bool has_shape_channel(const ModelInfo& info) { return !shape_parts(info, {}).empty(); }

// A channel's value over its threshold. An uncalibrated channel (threshold 0) gives 0: it
// cannot flag. (The engine's tensor version, in score/terms.cpp, divides the same way.)
inline float channel_ratio(float value, float threshold) { return threshold > 0 ? value / threshold : 0.0f; }

// Whether a score is flagged anomalous at a threshold: it reaches it. Every caller decides
// with this: at kFlagRatio, the model's own threshold on the score (the fused score),
// or at one a user picked in Explore (a double: a float score and threshold compare exactly).
inline bool flagged(double score, double threshold) { return score >= threshold; }

// The score at which the model flags: a channel at its own threshold.
constexpr double kFlagRatio = 1.0;

// Whether an image scored in encoder mode is flagged by the model's calibration.
inline bool flagged(const ScoreFigures& score) { return flagged(score.score, kFlagRatio); }

enum class Channel { None, Stroke, Shape };
// The channel nearer its threshold: the larger ratio (the stroke channel on a tie), the one
// that flags the image when either does.
inline Channel leading_channel(const ScoreFigures& score) {
    return score.shape_ratio > score.stroke_ratio ? Channel::Shape : Channel::Stroke;
}
// Whether a channel reaches its threshold: its ratio is at least 1.
inline bool reaches_threshold(float ratio) { return flagged(ratio, kFlagRatio); }
// "stroke", "shape" or "" (for None): the CSV's and the JSON's spelling.
inline const char* channel_name(Channel channel) {
    return channel == Channel::Stroke ? "stroke" : channel == Channel::Shape ? "shape" : "";
}

}  // namespace oddigit
