#include "layers.h"

#include <torch/nn/functional.h>
#include <torch/nn/modules/batchnorm.h>

namespace oddigit::detail {

namespace F = torch::nn::functional;

namespace {
// Keeps the power iteration away from dividing by zero.
constexpr double kNormEpsilon = 1e-12;
}  // namespace

SpectralNormImpl::SpectralNormImpl(int64_t output_count) {
    left_singular_ = register_buffer("u", F::normalize(torch::randn({output_count}),
                                                       F::NormalizeFuncOptions().dim(0).eps(kNormEpsilon)));
}

torch::Tensor SpectralNormImpl::normalized(const torch::Tensor& weight) {
    const torch::Tensor matrix = weight.reshape({weight.size(0), -1});
    const auto unit = F::NormalizeFuncOptions().dim(0).eps(kNormEpsilon);
    torch::Tensor left, right;
    {
        torch::NoGradGuard no_grad;
        if (is_training())
            left_singular_.copy_(F::normalize(torch::mv(matrix, F::normalize(torch::mv(matrix.t(), left_singular_), unit)), unit));
        // Copies: a later forward pass updates u in place while this one's graph still needs it.
        left = left_singular_.clone();
        right = F::normalize(torch::mv(matrix.t(), left), unit);
    }
    const torch::Tensor sigma = torch::dot(left, torch::mv(matrix, right));
    return weight / sigma;
}

SNConv2dImpl::SNConv2dImpl(int64_t in_channels, int64_t out_channels, int64_t kernel, int64_t stride,
                           int64_t padding)
    : stride_(stride), padding_(padding) {
    conv_ = register_module(
        "conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(in_channels, out_channels, kernel).stride(stride).padding(padding)));
    norm_ = register_module("sn", SpectralNorm(out_channels));
}

torch::Tensor SNConv2dImpl::forward(const torch::Tensor& input) {
    return F::conv2d(input, norm_->normalized(conv_->weight),
                     F::Conv2dFuncOptions().bias(conv_->bias).stride(stride_).padding(padding_));
}

SNLinearImpl::SNLinearImpl(int64_t in_features, int64_t out_features) {
    linear_ = register_module("linear", torch::nn::Linear(in_features, out_features));
    norm_ = register_module("sn", SpectralNorm(out_features));
}

torch::Tensor SNLinearImpl::forward(const torch::Tensor& input) {
    return F::linear(input, norm_->normalized(linear_->weight), linear_->bias);
}

template <typename Norm>
torch::Tensor batch_norm(Norm& norm, const torch::Tensor& input, const RankSum& rank_sum) {
    if (!rank_sum || !norm.is_training()) return norm.forward(input);
    // Per channel: the sum and the sum of squares over every other dimension, and the count,
    // each summed over the ranks in one exchange.
    const int64_t channels = input.size(1);
    std::vector<int64_t> other_dims{0};
    for (int64_t d = 2; d < input.dim(); ++d) other_dims.push_back(d);
    const torch::Tensor local_count = torch::full({1}, static_cast<double>(input.numel() / channels), input.options());
    const torch::Tensor totals =
        rank_sum(torch::cat({input.sum(other_dims), input.square().sum(other_dims), local_count}));
    const torch::Tensor count = totals[2 * channels];
    const torch::Tensor mean = totals.narrow(0, 0, channels) / count;
    const torch::Tensor variance = totals.narrow(0, channels, channels) / count - mean.square();
    {
        torch::NoGradGuard no_grad;
        const double momentum = norm.options.momentum().value();
        // The running variance is the unbiased one, as BatchNorm keeps it.
        norm.running_mean.mul_(1 - momentum).add_(momentum * mean);
        norm.running_var.mul_(1 - momentum).add_(momentum * variance * count / (count - 1));
        norm.num_batches_tracked.add_(1);
    }
    std::vector<int64_t> shape(input.dim(), 1);
    shape[1] = channels;
    return (input - mean.view(shape)) * torch::rsqrt(variance.view(shape) + norm.options.eps()) * norm.weight.view(shape) +
           norm.bias.view(shape);
}

template torch::Tensor batch_norm(torch::nn::BatchNorm1dImpl&, const torch::Tensor&, const RankSum&);
template torch::Tensor batch_norm(torch::nn::BatchNorm2dImpl&, const torch::Tensor&, const RankSum&);

}  // namespace oddigit::detail
