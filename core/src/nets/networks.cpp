#include "networks.h"

#include <torch/nn/functional.h>

namespace oddigit::detail {

namespace F = torch::nn::functional;

namespace {
// Slope of the leaky ReLU in D and E, as in DCGAN.
constexpr double kLeakySlope = 0.2;
// Hidden units of the digit head.
constexpr int64_t kDigitHidden = 128;
}  // namespace

int64_t feature_count(const Architecture& architecture) { return 2 * architecture.width * kGridSide * kGridSide; }

GeneratorImpl::GeneratorImpl(const Architecture& architecture) : channels_(2 * architecture.width) {
    project_ = register_module("project", torch::nn::Linear(architecture.latent_dim, channels_ * kGridSide * kGridSide));
    project_norm_ = register_module("project_norm", torch::nn::BatchNorm1d(channels_ * kGridSide * kGridSide));
    up14_ = register_module("up14", torch::nn::ConvTranspose2d(
                                        torch::nn::ConvTranspose2dOptions(channels_, architecture.width, 4).stride(2).padding(1)));
    up14_norm_ = register_module("up14_norm", torch::nn::BatchNorm2d(architecture.width));
    up28_ = register_module(
        "up28", torch::nn::ConvTranspose2d(torch::nn::ConvTranspose2dOptions(architecture.width, 1, 4).stride(2).padding(1)));
}

torch::Tensor GeneratorImpl::forward(const torch::Tensor& latent) {
    torch::Tensor x = torch::relu(batch_norm(*project_norm_, project_(latent), rank_sum_)).view({-1, channels_, kGridSide, kGridSide});
    x = torch::relu(batch_norm(*up14_norm_, up14_(x), rank_sum_));
    return torch::tanh(up28_(x));
}

DiscriminatorImpl::DiscriminatorImpl(const Architecture& architecture) {
    const int64_t width = architecture.width;
    down14_ = register_module("down14", SNConv2d(1, width, 4, 2, 1));
    down7_ = register_module("down7", SNConv2d(width, 2 * width, 4, 2, 1));
    classify_ = register_module("classify", SNLinear(feature_count(architecture), 1));
    digits_ = register_module(
        "digits", torch::nn::Sequential(torch::nn::Linear(feature_count(architecture), kDigitHidden),
                                        torch::nn::LeakyReLU(torch::nn::LeakyReLUOptions().negative_slope(kLeakySlope)),
                                        torch::nn::Linear(kDigitHidden, architecture.classes + 1)));
}

Critique DiscriminatorImpl::forward(const torch::Tensor& image) {
    torch::Tensor x = F::leaky_relu(down14_(image), F::LeakyReLUFuncOptions().negative_slope(kLeakySlope));
    x = F::leaky_relu(down7_(x), F::LeakyReLUFuncOptions().negative_slope(kLeakySlope));
    torch::Tensor features = x.flatten(1);
    torch::Tensor digit_logits = digits_->forward(features);
    return {classify_(features).squeeze(1), features, digit_logits};
}

EncoderImpl::EncoderImpl(const Architecture& architecture) {
    const int64_t width = architecture.width;
    down14_ = register_module("down14", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, width, 4).stride(2).padding(1)));
    down7_ = register_module("down7",
                             torch::nn::Conv2d(torch::nn::Conv2dOptions(width, 2 * width, 4).stride(2).padding(1)));
    down7_norm_ = register_module("down7_norm", torch::nn::BatchNorm2d(2 * width));
    project_ = register_module("project", torch::nn::Linear(feature_count(architecture), architecture.latent_dim));
}

torch::Tensor EncoderImpl::forward(const torch::Tensor& image) {
    torch::Tensor x = F::leaky_relu(down14_(image), F::LeakyReLUFuncOptions().negative_slope(kLeakySlope));
    x = F::leaky_relu(batch_norm(*down7_norm_, down7_(x), rank_sum_), F::LeakyReLUFuncOptions().negative_slope(kLeakySlope));
    return project_(x.flatten(1));
}

}  // namespace oddigit::detail
