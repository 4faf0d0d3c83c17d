#pragma once
// Internal: the torch side of AnomalyModel, shared by model.cpp and train.cpp.
#include <set>
#include <string>

#include "networks.h"
#include "oddigit/model.h"
#include "oddigit/safetensors.h"

namespace oddigit {

struct AnomalyModel::Impl {
    Impl(const Architecture& architecture, torch::Device device);
    void to(torch::Device target);

    ModelInfo info;
    torch::Device device;
    detail::Generator generator;
    detail::Discriminator discriminator;
    detail::Encoder encoder;
};

namespace detail {

// Images [begin, begin + count) of the batch as a [count, 1, 28, 28] tensor in [-1, 1].
torch::Tensor to_tensor(const ImageBatch& images, int64_t begin, int64_t count, torch::Device device);
// A [N, 1, 28, 28] tensor in [-1, 1] back to images in [0, 1].
ImageBatch to_images(const torch::Tensor& images);

// Heatmaps [N, 784] of images x and reconstructions x' in [-1, 1]: (x - x')^2 on the [0, 1]
// scale, smoothed with a 5x5 binomial kernel. A reconstruction always misses single pixels
// of the digit's outline; smoothing lets a stroke's connected residual stand out from them
// (pixel AUROC of foreign strokes on held-out training digits: 0.958 raw, 0.968 smoothed;
// 3x3: 0.966, 7x7: 0.968).
torch::Tensor heatmaps(const torch::Tensor& images, const torch::Tensor& reconstructions);

// The anomaly score's parts for images x and their reconstructions x', both in [-1, 1].
struct Residuals {
    torch::Tensor pixel_map;  // [N, 784], heatmaps(x, x')
    torch::Tensor pixel;      // [N], mean (x - x')^2, unsmoothed
    torch::Tensor feature;    // [N], mean (f(x) - f(x'))^2
    torch::Tensor score;      // [N], pixel + kappa * feature
};
Residuals residuals(DiscriminatorImpl& discriminator, const torch::Tensor& images,
                    const torch::Tensor& reconstructions, float kappa);

// Turns every parameter or buffer of the network on (true) or off (false) for gradients.
void set_trainable(torch::nn::Module& network, bool trainable);

safetensors::Tensor to_safetensor(const torch::Tensor& tensor);
torch::Tensor from_safetensor(const safetensors::Tensor& tensor);

// The model as safetensors: tensors named "generator.*", "discriminator.*", "encoder.*",
// "calibration.validation_scores", metadata "oddigit.*".
safetensors::File to_file(const AnomalyModel& model);
// Rebuilds a model from a file read from path. Tensors whose names start with one of
// extra_prefixes are left for the caller; any other unknown or missing tensor is an Error.
AnomalyModel from_file(const safetensors::File& file, const std::string& path,
                       const std::set<std::string>& extra_prefixes = {});

}  // namespace detail
}  // namespace oddigit
