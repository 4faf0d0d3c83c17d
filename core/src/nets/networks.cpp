#include "networks.h"

#include <algorithm>
#include <limits>

#include <torch/linalg.h>
#include <torch/nn/functional.h>

#include "oddigit/error.h"

namespace oddigit::detail {

namespace F = torch::nn::functional;

namespace {
// Slope of the leaky ReLU in D and E, as in DCGAN.
constexpr double kLeakySlope = 0.2;
// Keeps the power iteration away from dividing by zero.
constexpr double kNormEpsilon = 1e-12;
// Hidden units of the digit head.
constexpr int64_t kDigitHidden = 128;
// D's features per image: the last conv layer's channels at 7 x 7.
int64_t feature_count(const Architecture& architecture) { return 2 * architecture.width * 7 * 7; }
// Variances below this share of the largest count as this share: a feature that never
// varied in training must not turn the smallest wobble into an infinite distance.
constexpr double kVarianceFloor = 1e-6;
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

GeneratorImpl::GeneratorImpl(const Architecture& architecture) : channels_(2 * architecture.width) {
    project_ = register_module("project", torch::nn::Linear(architecture.latent_dim, channels_ * 7 * 7));
    project_norm_ = register_module("project_norm", torch::nn::BatchNorm1d(channels_ * 7 * 7));
    up14_ = register_module("up14", torch::nn::ConvTranspose2d(
                                        torch::nn::ConvTranspose2dOptions(channels_, architecture.width, 4).stride(2).padding(1)));
    up14_norm_ = register_module("up14_norm", torch::nn::BatchNorm2d(architecture.width));
    up28_ = register_module(
        "up28", torch::nn::ConvTranspose2d(torch::nn::ConvTranspose2dOptions(architecture.width, 1, 4).stride(2).padding(1)));
}

torch::Tensor GeneratorImpl::forward(const torch::Tensor& latent) {
    torch::Tensor x = torch::relu(batch_norm(*project_norm_, project_(latent), rank_sum_)).view({-1, channels_, 7, 7});
    x = torch::relu(batch_norm(*up14_norm_, up14_(x), rank_sum_));
    return torch::tanh(up28_(x));
}

DiscriminatorImpl::DiscriminatorImpl(const Architecture& architecture) {
    const int64_t width = architecture.width;
    down14_ = register_module("down14", SNConv2d(1, width, 4, 2, 1));
    down7_ = register_module("down7", SNConv2d(width, 2 * width, 4, 2, 1));
    classify_ = register_module("classify", SNLinear(2 * width * 7 * 7, 1));
    digits_ = register_module(
        "digits", torch::nn::Sequential(torch::nn::Linear(2 * width * 7 * 7, kDigitHidden),
                                        torch::nn::LeakyReLU(torch::nn::LeakyReLUOptions().negative_slope(kLeakySlope)),
                                        torch::nn::Linear(kDigitHidden, kDigitClasses)));
}

Critique DiscriminatorImpl::forward(const torch::Tensor& image) {
    torch::Tensor x = F::leaky_relu(down14_(image), F::LeakyReLUFuncOptions().negative_slope(kLeakySlope));
    x = F::leaky_relu(down7_(x), F::LeakyReLUFuncOptions().negative_slope(kLeakySlope));
    torch::Tensor features = x.flatten(1);
    torch::Tensor digit_logits = digits_->forward(features);
    return {classify_(features).squeeze(1), features, digit_logits};
}

int64_t density_directions(const Architecture& architecture) {
    return std::min(kDensityDirections, feature_count(architecture) - 1);
}

FeatureDensityImpl::FeatureDensityImpl(const Architecture& architecture) {
    const int64_t features = feature_count(architecture), directions = density_directions(architecture);
    class_means_ = register_buffer("class_means", torch::zeros({kDigits, features}));
    directions_ = register_buffer("directions", torch::zeros({features, directions}));
    class_projections_ = register_buffer("class_projections", torch::zeros({kDigits, directions}));
    inverse_variances_ = register_buffer("inverse_variances", torch::zeros({directions}));
    inverse_rest_variance_ = register_buffer("inverse_rest_variance", torch::zeros({1}));
}

void FeatureDensityImpl::start() { count_ = sum_ = outer_sum_ = torch::Tensor(); }

void FeatureDensityImpl::add(const torch::Tensor& features, const torch::Tensor& digits) {
    // Sums in double on the CPU: tens of thousands of products of features would lose
    // the covariance's small directions in float.
    const torch::Tensor values = features.detach().to(torch::kCPU, torch::kDouble);
    const torch::Tensor classes = digits.to(torch::kCPU, torch::kLong);
    if (!count_.defined()) {
        count_ = torch::zeros({kDigits}, torch::kDouble);
        sum_ = torch::zeros({kDigits, values.size(1)}, torch::kDouble);
        outer_sum_ = torch::zeros({values.size(1), values.size(1)}, torch::kDouble);
    }
    count_.index_add_(0, classes, torch::ones({values.size(0)}, torch::kDouble));
    sum_.index_add_(0, classes, values);
    outer_sum_.add_(values.t().mm(values));
}

void FeatureDensityImpl::finish() {
    if (!count_.defined() || count_.sum().item<double>() < 2) throw Error("the feature density needs at least two images");
    torch::NoGradGuard no_grad;
    const torch::Tensor present = count_ > 0;
    const torch::Tensor means = sum_ / count_.clamp_min(1).unsqueeze(1);
    // Scatter within the classes: sum of x x^T less, per class, count * mean mean^T.
    const torch::Tensor scatter = outer_sum_ - means.t().mm(sum_);
    const double degrees = count_.sum().item<double>() - present.sum().item<double>();
    const torch::Tensor covariance = (scatter / std::max(degrees, 1.0)).to(torch::kFloat);
    // The SVD of a symmetric positive semi-definite matrix is its eigendecomposition (Debian's
    // LibTorch 1.13 fails in eigh's LAPACK call), with the values in descending order.
    const auto [left, values, right] = torch::linalg::svd(covariance, false, c10::nullopt);
    const int64_t kept = directions_.size(1);
    const torch::Tensor floored = values.clamp_min(kVarianceFloor * values[0].item<double>());
    const torch::Tensor directions = left.narrow(1, 0, kept);
    const torch::Tensor class_means = means.to(torch::kFloat);
    class_means_.copy_(class_means);
    directions_.copy_(directions);
    class_projections_.copy_(class_means.mm(directions));
    inverse_variances_.copy_(1.0 / floored.narrow(0, 0, kept));
    inverse_rest_variance_.fill_(1.0 / floored.narrow(0, kept, floored.size(0) - kept).mean().item<double>());
    count_ = sum_ = outer_sum_ = torch::Tensor();
}

torch::Tensor FeatureDensityImpl::forward(const torch::Tensor& features, const torch::Tensor& classes) {
    const torch::Tensor projections = features.mm(directions_);                                  // [N, k]
    const torch::Tensor along = projections.unsqueeze(1) - class_projections_.unsqueeze(0);    // [N, kDigits, k]
    const torch::Tensor total_squared = features.square().sum(1, true) - 2 * features.mm(class_means_.t()) +
                                        class_means_.square().sum(1).unsqueeze(0);              // [N, kDigits]
    const torch::Tensor along_each = along.square();
    const torch::Tensor distances = (along_each * inverse_variances_).sum(2) +
                                    inverse_rest_variance_ * (total_squared - along_each.sum(2)).clamp_min(0);
    const torch::Tensor outside = torch::logical_not(classes.to(features.device())).unsqueeze(0);
    return std::get<0>(distances.masked_fill(outside, std::numeric_limits<float>::infinity()).min(1));
}

EncoderImpl::EncoderImpl(const Architecture& architecture) {
    const int64_t width = architecture.width;
    down14_ = register_module("down14", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, width, 4).stride(2).padding(1)));
    down7_ = register_module("down7",
                             torch::nn::Conv2d(torch::nn::Conv2dOptions(width, 2 * width, 4).stride(2).padding(1)));
    down7_norm_ = register_module("down7_norm", torch::nn::BatchNorm2d(2 * width));
    project_ = register_module("project", torch::nn::Linear(2 * width * 7 * 7, architecture.latent_dim));
}

torch::Tensor EncoderImpl::forward(const torch::Tensor& image) {
    torch::Tensor x = F::leaky_relu(down14_(image), F::LeakyReLUFuncOptions().negative_slope(kLeakySlope));
    x = F::leaky_relu(batch_norm(*down7_norm_, down7_(x), rank_sum_), F::LeakyReLUFuncOptions().negative_slope(kLeakySlope));
    return project_(x.flatten(1));
}

}  // namespace oddigit::detail
