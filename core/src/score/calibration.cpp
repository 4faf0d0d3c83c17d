#include "oddigit/calibration.h"

#include <algorithm>
#include <cmath>

#include "score/calibration.h"
#include "score/terms.h"
#include "oddigit/error.h"
#include "oddigit/metrics.h"
#include "oddigit/score.h"

namespace oddigit {

namespace {
// The density's and the realness's scales match spreads measured from the median to this quantile.
constexpr float kSpreadQuantile = 0.95f;
// A spread under this share of the median value is float rounding, not a spread.
constexpr float kRoundingSpread = 1e-5f;
}  // namespace

namespace detail {

bool fit_density(AnomalyModel::Impl& model, const torch::Tensor& images, const torch::Tensor& digits,
                 const DensityChunkCallback& after_chunk, int64_t from) {
    torch::NoGradGuard no_grad;
    const bool was_training = model.discriminator->is_training();
    model.discriminator->eval();
    if (from == 0) model.density->start();
    bool finished = true;
    for (int64_t begin = from; begin < images.size(0) && finished; begin += kDensityChunk) {
        const int64_t count = std::min(kDensityChunk, images.size(0) - begin);
        model.density->add(model.discriminator->forward(images.narrow(0, begin, count)).features,
                           digits.narrow(0, begin, count));
        if (after_chunk) finished = after_chunk(begin + count);
    }
    if (finished) {
        model.density->finish();
        model.info.knows_density = true;
    }
    model.discriminator->train(was_training);
    return finished;
}

}  // namespace detail

void fit_density(AnomalyModel& model, const LabelledImages& train_set) {
    if (train_set.images.empty() || static_cast<int64_t>(train_set.labels.size()) != train_set.images.size())
        throw Error("the feature density needs training images, each with its digit");
    const int classes = model.info().architecture.classes;
    if (std::any_of(train_set.labels.begin(), train_set.labels.end(), [&](uint8_t label) { return label >= classes; }))
        throw Error("the feature density needs labels of the model's " + std::to_string(classes) + " classes");
    AnomalyModel::Impl& impl = model.impl();
    const torch::Tensor digits =
        torch::tensor(std::vector<int64_t>(train_set.labels.begin(), train_set.labels.end()), torch::kLong);
    try {
        detail::fit_density(impl, detail::to_tensor(train_set.images, 0, train_set.images.size(), impl.device), digits);
    } catch (const c10::Error& error) {
        throw Error(std::string("fitting the feature density failed: ") + error.what_without_backtrace());
    }
}

namespace {

// A term's scale on the residuals' scale: the spread of the held-out images' reference parts
// over that of the term's raw values; 0 for a term that does not spread. Throws Error when the
// term does not spread but its weight would make it count.
float spread_scale(const std::vector<float>& reference, const std::vector<float>& values, float weight,
                   const std::string& term) {
    const auto spread = [](const std::vector<float>& list) { return quantile(list, kSpreadQuantile) - quantile(list, 0.5); };
    const float values_spread = spread(values);
    // A spread within float rounding of the values themselves is none: the same image scored
    // at two places in a batch can differ in the last bits.
    const float rounding = kRoundingSpread * std::abs(quantile(values, 0.5));
    if (!(values_spread > rounding) && weight > 0)
        throw Error("calibration: the " + term + " of the " + std::to_string(values.size()) +
                    " validation images do not spread (their 95th percentile is their median), so the term "
                    "cannot be weighed on the residuals' scale; calibrate on more varied normal images, or set "
                    "its weight to 0");
    return values_spread > rounding ? spread(reference) / values_spread : 0.0f;
}

// How many of values reach threshold.
int64_t count_reaching(const std::vector<float>& values, float threshold) {
    return std::count_if(values.begin(), values.end(), [&](float v) { return flagged(v, threshold); });
}

// The calibration of the images scored: each channel's threshold sits at its own k-th
// largest value, the shape channel's k a shape_share / (1 - shape_share) multiple of the
// stroke channel's, the stroke channel's k as large as leaves no more than the share
// 1 - quantile_level of the images flagged by either channel (the share flagged grows with k,
// so k is found by bisection); the heat scale at the stroke threshold's quantile of their pixel
// residuals; and their channel values. Throws Error when a threshold is not above 0.
Calibration calibration_of(const ModelInfo& info, const std::vector<ImageScore>& results, float quantile_level) {
    const bool shape_channel = has_shape_channel(info);
    Calibration calibration;
    std::vector<float> pixel_residuals;
    for (const ImageScore& score : results) {
        const WeightedParts<float> parts = weighted_parts(info, score);
        calibration.validation_stroke.push_back(parts.stroke());
        calibration.validation_shape.push_back(shape_channel ? parts.shape() : 0.0f);
        pixel_residuals.push_back(score.pixel_residual);
    }
    const std::vector<float>& stroke = calibration.validation_stroke;
    const std::vector<float>& shape = calibration.validation_shape;
    std::vector<float> stroke_descending = stroke, shape_descending = shape;
    std::sort(stroke_descending.rbegin(), stroke_descending.rend());
    std::sort(shape_descending.rbegin(), shape_descending.rend());
    const int64_t count = static_cast<int64_t>(stroke.size());
    const int64_t allowed = std::max<int64_t>(1, std::llround((1.0 - quantile_level) * count));
    const double shape_per_stroke = info.shape_share / (1.0 - info.shape_share);
    const auto shape_k = [&](int64_t k) { return std::clamp<int64_t>(std::llround(shape_per_stroke * k), 1, count); };
    const auto flagged_at = [&](int64_t k) {
        const float stroke_threshold = stroke_descending[k - 1], shape_threshold = shape_descending[shape_k(k) - 1];
        int64_t flagged_images = 0;
        for (int64_t i = 0; i < count; ++i)
            flagged_images += flagged(stroke[i], stroke_threshold) || (shape_channel && flagged(shape[i], shape_threshold));
        return flagged_images;
    };
    // flagged_at(1) exceeds allowed when allowed is 1 and the channels' top images differ (under
    // about 30 images at 0.95), or through ties: the smallest k then stands.
    int64_t low = 1, high = std::min(allowed, count);
    while (low < high) {
        const int64_t middle = (low + high + 1) / 2;
        if (flagged_at(middle) <= allowed)
            low = middle;
        else
            high = middle - 1;
    }
    calibration.stroke = stroke_descending[low - 1];
    calibration.shape = shape_channel ? shape_descending[shape_k(low) - 1] : 0.0f;
    if (!(calibration.stroke > 0) || (shape_channel && !(calibration.shape > 0)))
        throw Error("calibration: a channel's threshold on the " + std::to_string(count) +
                    " images is not above 0, so no ratio can be taken; calibrate on more varied normal images");
    calibration.channel_quantile = 1.0f - static_cast<float>(count_reaching(stroke, calibration.stroke)) / count;
    calibration.heat_full_scale = quantile(pixel_residuals, calibration.channel_quantile);
    calibration.update_validation_scores();
    return calibration;
}

// The readers' energy offset r: the held-out images' median logsumexp, so that their energy gap
// max(0, r - logsumexp) is 0 for the more digit-like half.
float median_reader_logsumexp(AnomalyModel& model, const ImageBatch& images) {
    constexpr int64_t kChunk = 512;
    AnomalyModel::Impl& impl = model.impl();
    torch::NoGradGuard no_grad;
    std::vector<float> values;
    for (int64_t begin = 0; begin < images.size(); begin += kChunk) {
        const int64_t count = std::min(kChunk, images.size() - begin);
        const std::vector<float> chunk =
            detail::to_vector(detail::reader_logsumexp(impl, detail::to_tensor(images, begin, count, impl.device)));
        values.insert(values.end(), chunk.begin(), chunk.end());
    }
    return quantile(values, 0.5);
}

}  // namespace

void calibrate(AnomalyModel& model, const ImageBatch& validation_images, float quantile_level) {
    if (validation_images.empty()) throw Error("calibration needs validation images");
    ModelInfo& info = model.info();
    if (info.architecture.readers > 0 && info.reader_term == ReaderTerm::Energy)
        info.reader_offset = median_reader_logsumexp(model, validation_images);
    // Scored once: the scales weigh raw terms the channels are then summed from.
    const std::vector<ImageScore> results = model.score(validation_images);
    std::vector<float> reference, densities, realness, readers;
    for (const ImageScore& score : results) {
        reference.push_back(weighted_parts(info, score).reference());
        densities.push_back(score.feature_density);
        realness.push_back(score.realness);
        readers.push_back(score.reader);
    }
    const auto scale = [&](ShapeTerm term, bool measured, const std::vector<float>& values, const char* what) {
        info.terms[term].scale = measured ? spread_scale(reference, values, info.terms[term].weight, what) : 0.0f;
    };
    scale(ShapeTerm::Density, info.knows_density, densities, "feature density's distances");
    scale(ShapeTerm::Realness, true, realness, "reconstructions' realness values");
    scale(ShapeTerm::Reader, detail::has_reader_term(model.impl()), readers, "digit readers' terms");
    info.mnist = calibration_of(info, results, quantile_level);
    info.threshold_quantile = quantile_level;
    // Set against the old scales: calibrate_canvas() sets it again.
    info.canvas = {};
}

void calibrate_canvas(AnomalyModel& model, const ImageBatch& redrawn_validation_images) {
    ModelInfo& info = model.info();
    if (!info.mnist.is_set()) throw Error("the canvas calibration needs a model calibrated on MNIST first");
    if (redrawn_validation_images.empty()) throw Error("the canvas calibration needs redrawn validation images");
    info.canvas = calibration_of(info, model.score(redrawn_validation_images), info.threshold_quantile);
}

void calibrate_all(AnomalyModel& model, const ImageBatch& validation_images, const ImageBatch& validation_drawn) {
    calibrate(model, validation_images, model.info().threshold_quantile);
    if (!validation_drawn.empty()) calibrate_canvas(model, validation_drawn);
}

}  // namespace oddigit
