#pragma once
// The three networks, DCGAN-shaped for 28x28 images in [-1, 1].
#include <functional>

#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/linear.h>

#include "oddigit/model.h"

namespace oddigit::detail {

// Spectral normalisation (Miyato et al. 2018): the weight is divided by its largest
// singular value, estimated with one power-iteration step per training forward pass.
// It keeps the discriminator 1-Lipschitz, so the hinge-loss GAN trains stably with one
// D step per G step, without WGAN-GP's double backward (3-5x the cost on a CPU).
class SpectralNormImpl : public torch::nn::Module {
public:
    explicit SpectralNormImpl(int64_t output_count);
    torch::Tensor normalized(const torch::Tensor& weight);

private:
    torch::Tensor left_singular_;  // u, persisted so evaluation is deterministic
};
TORCH_MODULE(SpectralNorm);

class SNConv2dImpl : public torch::nn::Module {
public:
    SNConv2dImpl(int64_t in_channels, int64_t out_channels, int64_t kernel, int64_t stride, int64_t padding);
    torch::Tensor forward(const torch::Tensor& input);

private:
    int64_t stride_;
    int64_t padding_;
    torch::nn::Conv2d conv_{nullptr};
    SpectralNorm norm_{nullptr};
};
TORCH_MODULE(SNConv2d);

class SNLinearImpl : public torch::nn::Module {
public:
    SNLinearImpl(int64_t in_features, int64_t out_features);
    torch::Tensor forward(const torch::Tensor& input);

private:
    torch::nn::Linear linear_{nullptr};
    SpectralNorm norm_{nullptr};
};
TORCH_MODULE(SNLinear);

// A tensor summed over the ranks of a distributed run, its gradient flowing back to each
// rank's part (ProcessGroup::sum_with_gradient).
using RankSum = std::function<torch::Tensor(const torch::Tensor&)>;

// BatchNorm's forward pass. In training with a RankSum, the statistics are those of the whole
// batch of every rank (SyncBatchNorm), so a distributed run normalises as one process would;
// otherwise the module's own. The same parameters and running statistics either way.
template <typename Norm>
torch::Tensor batch_norm(Norm& norm, const torch::Tensor& input, const RankSum& rank_sum);

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

constexpr int64_t kDigits = 10;
// The digit head's classes: the ten digits, then "not a digit" (synthetic negatives).
constexpr int64_t kNotADigit = kDigits;
constexpr int64_t kDigitClasses = 11;

struct Critique {
    torch::Tensor logits;        // [N], large = looks real
    torch::Tensor features;      // [N, F], the last hidden layer: f(x) in the anomaly score
    torch::Tensor digit_logits;  // [N, kDigitClasses]: which digit, or none
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

// A Gaussian model of D's features f(x) per normal class, for the score's density term
// (after LSA, Abati et al. 2019, and the Mahalanobis detector of Lee et al. 2018): a mean per
// class and one covariance shared by the classes, of which the kDensityDirections principal
// directions are kept and the rest taken as one variance (probabilistic PCA). A one-class
// generator also reconstructs images its training class never showed it (an 8's generator
// draws a 1 well), but D's features of such an image lie outside the class's feature cloud.
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
    // [N]: the smallest squared Mahalanobis distance of features [N, F] to the mean of one of
    // the classes (a [kDigits] bool mask).
    torch::Tensor forward(const torch::Tensor& features, const torch::Tensor& classes);

private:
    // Buffers, saved with the model.
    torch::Tensor class_means_;            // [kDigits, F]; zero for a class without images
    torch::Tensor directions_;             // [F, k], orthonormal columns
    torch::Tensor class_projections_;      // [kDigits, k], the class means along the directions
    torch::Tensor inverse_variances_;      // [k], along the directions
    torch::Tensor inverse_rest_variance_;  // [1], across them
    // Fitting sums, dropped by start() and finish().
    torch::Tensor count_, sum_, outer_sum_;
};
TORCH_MODULE(FeatureDensity);

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
