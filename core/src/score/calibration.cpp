#include "oddigit/calibration.h"

#include <algorithm>
#include <cmath>

#include "score/calibration.h"
#include "oddigit/error.h"
#include "oddigit/metrics.h"
#include "oddigit/score.h"

namespace oddigit {

namespace {
// The density's scale matches spreads measured from the median to this quantile.
constexpr float kSpreadQuantile = 0.95f;
// A density spread under this share of the median distance is float rounding, not a spread.
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
    if (std::any_of(train_set.labels.begin(), train_set.labels.end(), [](uint8_t label) { return label > 9; }))
        throw Error("the feature density needs labels that are digits, 0 to 9");
    AnomalyModel::Impl& impl = model.impl();
    const torch::Tensor digits =
        torch::tensor(std::vector<int64_t>(train_set.labels.begin(), train_set.labels.end()), torch::kLong);
    try {
        detail::fit_density(impl, detail::to_tensor(train_set.images, 0, train_set.images.size(), impl.device), digits);
    } catch (const c10::Error& error) {
        throw Error(std::string("fitting the feature density failed: ") + error.what_without_backtrace());
    }
}

void calibrate(AnomalyModel& model, const ImageBatch& validation_images, float quantile_level) {
    if (validation_images.empty()) throw Error("calibration needs validation images");
    ModelInfo& info = model.info();
    // Scored once: the density's scale weighs parts the scores are then summed from.
    const std::vector<ImageScore> results = model.score(validation_images);
    if (info.knows_density) {
        std::vector<float> other_parts, densities;
        for (const ImageScore& score : results) {
            other_parts.push_back(weighted_parts(info, score).without_density());
            densities.push_back(score.feature_density);
        }
        const auto spread = [](const std::vector<float>& values) {
            return quantile(values, kSpreadQuantile) - quantile(values, 0.5);
        };
        const float density_spread = spread(densities);
        // A spread within float rounding of the distances themselves is none: the same image
        // scored at two places in a batch can differ in the last bits.
        const float rounding = kRoundingSpread * std::abs(quantile(densities, 0.5));
        if (!(density_spread > rounding) && info.density_weight > 0)
            throw Error("calibration: the feature density's distances of the " +
                        std::to_string(validation_images.size()) +
                        " validation images do not spread (their 95th percentile is their median), so the "
                        "density term cannot be weighed on the residuals' scale; calibrate on more varied "
                        "normal images, or set the density weight to 0");
        info.density_scale = density_spread > rounding ? spread(other_parts) / density_spread : 0.0f;
    }
    std::vector<float> scores, pixel_parts;
    for (const ImageScore& score : results) {
        scores.push_back(weighted_parts(info, score).sum());
        pixel_parts.push_back(score.pixel_residual);
    }
    std::sort(scores.begin(), scores.end());
    info.threshold = quantile(scores, quantile_level);
    info.heat_full_scale = quantile(pixel_parts, quantile_level);
    info.threshold_quantile = quantile_level;
    info.validation_scores = std::move(scores);
}

}  // namespace oddigit
