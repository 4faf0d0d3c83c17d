#pragma once
// The three networks, DCGAN-shaped for 28x28 images in [-1, 1]: generator G, discriminator D
// with its digit head, encoder E.
#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/linear.h>

#include "layers.h"

#include "oddigit/model.h"

namespace oddigit::detail {

// The smallest feature maps of G and D: 7 x 7, a quarter of the image's side.
constexpr int64_t kGridSide = 7;
// D's features per image, f(x): its last conv layer's 2 * width channels over the 7 x 7 grid.
int64_t feature_count(const Architecture& architecture);

// z [N, latent] -> image [N, 1, 28, 28] in [-1, 1].
class GeneratorImpl : public torch::nn::Module {
public:
    explicit GeneratorImpl(const Architecture& architecture);
    torch::Tensor forward(const torch::Tensor& latent);
    // BatchNorm statistics over every rank's batch from here on; an empty RankSum: local ones.
    void synchronise_batch_norm(RankSum rank_sum) { rank_sum_ = std::move(rank_sum); }

private:
    RankSum rank_sum_;
    int64_t channels_;
    torch::nn::Linear project_{nullptr};
    torch::nn::BatchNorm1d project_norm_{nullptr};
    torch::nn::ConvTranspose2d up14_{nullptr};
    torch::nn::BatchNorm2d up14_norm_{nullptr};
    torch::nn::ConvTranspose2d up28_{nullptr};
};
TORCH_MODULE(Generator);


struct Critique {
    torch::Tensor logits;        // [N], large = looks real
    torch::Tensor features;      // [N, F], the last hidden layer: f(x) in the anomaly score
    torch::Tensor digit_logits;  // [N, classes + 1]: which class, or none of them (the last)
};

class DiscriminatorImpl : public torch::nn::Module {
public:
    explicit DiscriminatorImpl(const Architecture& architecture);
    Critique forward(const torch::Tensor& image);

private:
    SNConv2d down14_{nullptr};
    SNConv2d down7_{nullptr};
    SNLinear classify_{nullptr};
    // A small MLP, not spectrally normalised: a classifier needs logits far apart to be confident.
    torch::nn::Sequential digits_{nullptr};
};
TORCH_MODULE(Discriminator);

// image [N, 1, 28, 28] in [-1, 1] -> z [N, latent].
class EncoderImpl : public torch::nn::Module {
public:
    explicit EncoderImpl(const Architecture& architecture);
    torch::Tensor forward(const torch::Tensor& image);
    // As GeneratorImpl's.
    void synchronise_batch_norm(RankSum rank_sum) { rank_sum_ = std::move(rank_sum); }

private:
    RankSum rank_sum_;
    torch::nn::Conv2d down14_{nullptr};
    torch::nn::Conv2d down7_{nullptr};
    torch::nn::BatchNorm2d down7_norm_{nullptr};
    torch::nn::Linear project_{nullptr};
};
TORCH_MODULE(Encoder);

}  // namespace oddigit::detail
