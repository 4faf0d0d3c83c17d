#pragma once
// Internal: fitting the feature density inside a training run.
#include <functional>

#include "model_impl.h"

namespace oddigit::detail {

// Fits the model's feature density to D's features of images [N, 1, 28, 28] whose digits are
// digits [N] (long), and marks the model as holding one. after_chunk, if set, is called with
// the number of images fitted so far after each chunk; when it returns false the fit stops,
// the model stays without a density, and fit_density returns false.
// A fit that goes on from sums kept earlier (FeatureDensityImpl::sums()) starts at image
// `from`, the count those sums hold; from 0 it starts afresh.
using DensityChunkCallback = std::function<bool(int64_t fitted)>;
bool fit_density(AnomalyModel::Impl& model, const torch::Tensor& images, const torch::Tensor& digits,
                 const DensityChunkCallback& after_chunk = {}, int64_t from = 0);

// Images per D pass while fitting the feature density.
constexpr int64_t kDensityChunk = 512;

}  // namespace oddigit::detail
