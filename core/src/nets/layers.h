#pragma once
// The layers the networks are built from beyond LibTorch's own: spectrally normalised
// convolutions and linear maps for D, and BatchNorm whose statistics span every rank.
#include <functional>

#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

namespace oddigit::detail {

// Spectral normalisation (Miyato et al. 2018): the weight is divided by its largest
// singular value, estimated with one power-iteration step per training forward pass.
// It keeps the discriminator 1-Lipschitz, so the hinge-loss GAN trains stably with one
// D step per G step, without WGAN-GP's double backward.
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

// BatchNorm's forward pass (Norm: torch::nn::BatchNorm1dImpl or BatchNorm2dImpl). In training
// with a RankSum, the statistics are those of the whole batch of every rank (SyncBatchNorm), so
// a distributed run normalises as one process would; otherwise the module's own. The same
// parameters and running statistics either way.
template <typename Norm>
torch::Tensor batch_norm(Norm& norm, const torch::Tensor& input, const RankSum& rank_sum);

}  // namespace oddigit::detail
