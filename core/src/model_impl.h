#pragma once
// Internal: the torch side of AnomalyModel, shared by the engine's sources.
#include <array>
#include <string>
#include <utility>
#include <vector>

#include "nets/networks.h"
#include "nets/reader.h"
#include "oddigit/model.h"
#include "score/feature_density.h"

namespace oddigit {

struct AnomalyModel::Impl {
    Impl(const Architecture& architecture, torch::Device device);
    void to(torch::Device target);

    // The model's modules, each with the prefix of its tensors in a model file, in file order.
    std::array<std::pair<const char*, torch::nn::Module*>, 5> modules();
    // Every network in evaluation mode with no weight taking gradients: the state a model is
    // in outside training (from create(), load() and train()), which scoring needs and never
    // changes, so several threads may score one model at once. The trainer turns on what each
    // phase trains, on its own model, and leaves it in this state.
    void set_inference();

    ModelInfo info;
    torch::Device device;
    detail::Generator generator;
    detail::Discriminator discriminator;
    detail::Encoder encoder;
    detail::FeatureDensity density;
    detail::Readers reader;
};

namespace detail {

// The device of that name ("cpu", "cuda", "cuda:N"). Throws Error for an unknown one or a
// CUDA device this machine or LibTorch does not have.
torch::Device usable_device(const std::string& name);

// Images [begin, begin + count) of the batch as a [count, 1, 28, 28] tensor in [-1, 1].
torch::Tensor to_tensor(const ImageBatch& images, int64_t begin, int64_t count, torch::Device device);
// A [N, 1, 28, 28] tensor in [-1, 1] back to images in [0, 1].
ImageBatch to_images(const torch::Tensor& images);
// A tensor's values as floats, in order, on the CPU.
std::vector<float> to_vector(const torch::Tensor& tensor);

// Turns every parameter or buffer of the network on (true) or off (false) for gradients.
void set_trainable(torch::nn::Module& network, bool trainable);

}  // namespace detail
}  // namespace oddigit
