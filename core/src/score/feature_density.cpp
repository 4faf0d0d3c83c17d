#include "feature_density.h"

#include <algorithm>
#include <limits>

#include <torch/linalg.h>

#include "nets/networks.h"
#include "oddigit/error.h"

namespace oddigit::detail {

namespace {
// Variances below this share of the largest count as this share: a feature that never
// varied in training must not turn the smallest wobble into an infinite distance.
constexpr double kVarianceFloor = 1e-6;
}  // namespace

int64_t density_directions(const Architecture& architecture) {
    return std::min(kDensityDirections, feature_count(architecture) - 1);
}

FeatureDensityImpl::FeatureDensityImpl(const Architecture& architecture) {
    const int64_t features = feature_count(architecture), directions = density_directions(architecture);
    class_means_ = register_buffer("class_means", torch::zeros({architecture.classes, features}));
    directions_ = register_buffer("directions", torch::zeros({features, directions}));
    class_projections_ = register_buffer("class_projections", torch::zeros({architecture.classes, directions}));
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
        count_ = torch::zeros({class_means_.size(0)}, torch::kDouble);
        sum_ = torch::zeros({class_means_.size(0), values.size(1)}, torch::kDouble);
        outer_sum_ = torch::zeros({values.size(1), values.size(1)}, torch::kDouble);
    }
    count_.index_add_(0, classes, torch::ones({values.size(0)}, torch::kDouble));
    sum_.index_add_(0, classes, values);
    outer_sum_.add_(values.t().mm(values));
}

std::vector<torch::Tensor> FeatureDensityImpl::sums() const {
    if (!count_.defined()) return {};
    return {count_, sum_, outer_sum_};
}

void FeatureDensityImpl::take_sums(const std::vector<torch::Tensor>& sums) {
    const int64_t features = class_means_.size(1);
    const int64_t classes = class_means_.size(0);
    const std::vector<std::vector<int64_t>> shapes = {{classes}, {classes, features}, {features, features}};
    if (sums.size() != shapes.size()) throw Error("the feature density's fitting sums are incomplete");
    for (size_t i = 0; i < sums.size(); ++i)
        if (sums[i].sizes() != c10::IntArrayRef(shapes[i]) || sums[i].scalar_type() != torch::kDouble)
            throw Error("the feature density's fitting sums have the wrong shape or type");
    count_ = sums[0].clone();
    sum_ = sums[1].clone();
    outer_sum_ = sums[2].clone();
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
    const torch::Tensor along = projections.unsqueeze(1) - class_projections_.unsqueeze(0);    // [N, classes, k]
    const torch::Tensor total_squared = features.square().sum(1, true) - 2 * features.mm(class_means_.t()) +
                                        class_means_.square().sum(1).unsqueeze(0);              // [N, classes]
    const torch::Tensor along_each = along.square();
    const torch::Tensor distances = (along_each * inverse_variances_).sum(2) +
                                    inverse_rest_variance_ * (total_squared - along_each.sum(2)).clamp_min(0);
    const torch::Tensor outside = torch::logical_not(classes.to(features.device())).unsqueeze(0);
    return std::get<0>(distances.masked_fill(outside, std::numeric_limits<float>::infinity()).min(1));
}

}  // namespace oddigit::detail
