#pragma once
// The feature density: how far D's features of an image lie from those of the normal
// training images of the nearest normal class.
#include <torch/nn/module.h>

#include "oddigit/model.h"

namespace oddigit::detail {

// A Gaussian model of D's features f(x) per normal class, for the score's density term
// (after LSA, Abati et al. 2019, and the Mahalanobis detector of Lee et al. 2018): a mean per
// class and one covariance shared by the classes, of which the kDensityDirections principal
// directions are kept and the rest taken as one variance (probabilistic PCA).
constexpr int64_t kDensityDirections = 512;
// The directions a model of this architecture keeps: kDensityDirections, or fewer where D has
// fewer features.
int64_t density_directions(const Architecture& architecture);

class FeatureDensityImpl : public torch::nn::Module {
public:
    explicit FeatureDensityImpl(const Architecture& architecture);
    // Fits to the features [N, F] of images of the given digits [N] (long), in chunks the
    // caller streams in: start(), add() each chunk, then finish(). Throws Error when no image
    // was added.
    void start();
    void add(const torch::Tensor& features, const torch::Tensor& digits);
    void finish();
    // The fitting sums so far ({count, sum, outer_sum}, double; empty before the first add()),
    // for a resume file, and back: a fit stopped between chunks goes on from them to the same
    // density. take_sums() throws Error for sums of the wrong shapes or types.
    std::vector<torch::Tensor> sums() const;
    void take_sums(const std::vector<torch::Tensor>& sums);
    // [N]: the smallest squared Mahalanobis distance of features [N, F] to the mean of one of
    // the classes (a [classes] bool mask).
    torch::Tensor forward(const torch::Tensor& features, const torch::Tensor& classes);

private:
    // Buffers, saved with the model.
    torch::Tensor class_means_;            // [classes, F]; zero for a class without images
    torch::Tensor directions_;             // [F, k], orthonormal columns
    torch::Tensor class_projections_;      // [classes, k], the class means along the directions
    torch::Tensor inverse_variances_;      // [k], along the directions
    torch::Tensor inverse_rest_variance_;  // [1], across them
    // Fitting sums, dropped by start() and finish().
    torch::Tensor count_, sum_, outer_sum_;
};
TORCH_MODULE(FeatureDensity);

}  // namespace oddigit::detail
