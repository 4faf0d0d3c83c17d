#include "latent_search.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/nn/functional/activation.h>
#include <torch/optim/adam.h>

namespace oddigit::detail {

namespace {

// The L1 residuals of AnoGAN's latent search, per image.
struct SearchLoss {
    torch::Tensor pixel;    // R: sum |x - G(z)| on the [0, 1] scale
    torch::Tensor feature;  // D: sum |f(x) - f(G(z))|
};

SearchLoss search_loss(DiscriminatorImpl& discriminator, const torch::Tensor& images,
                       const torch::Tensor& image_features, const torch::Tensor& generated) {
    const torch::Tensor pixel = ((images - generated).abs() * 0.5).flatten(1).sum(1);
    const torch::Tensor feature = (image_features - discriminator.forward(generated).features).abs().sum(1);
    return {pixel, feature};
}

}  // namespace

ScoredChunk latent_search(AnomalyModel::Impl& model, const torch::Tensor& images, const ScoreParams& params) {
    torch::Tensor image_features, density;
    DigitReading digits;
    {
        torch::NoGradGuard no_grad;
        const Critique critique = model.discriminator->forward(images);
        image_features = critique.features;
        digits = read_digits(critique.digit_logits, model.info);
        density = feature_density(model, image_features);
    }
    auto generator = at::detail::createCPUGenerator(params.search_seed);
    torch::Tensor latent = torch::randn({images.size(0), model.info.architecture.latent_dim}, generator)
                               .to(model.device)
                               .requires_grad_(true);
    torch::optim::Adam optimizer({latent}, torch::optim::AdamOptions(params.search_learning_rate));
    const float lambda = params.search_lambda;
    for (int step = 0; step < params.search_steps; ++step) {
        const SearchLoss loss = search_loss(*model.discriminator, images, image_features, model.generator->forward(latent));
        // The codes' gradient alone: the networks' weights, which other threads may be scoring
        // with, get none.
        latent.mutable_grad() = torch::autograd::grad({((1 - lambda) * loss.pixel + lambda * loss.feature).sum()}, {latent})[0];
        optimizer.step();
    }
    torch::NoGradGuard no_grad;
    const torch::Tensor reconstruction = model.generator->forward(latent);
    const SearchLoss loss = search_loss(*model.discriminator, images, image_features, reconstruction);
    ScoredChunk result;
    result.score = (1 - lambda) * loss.pixel + lambda * loss.feature;
    result.stroke_ratio = torch::zeros_like(result.score);
    result.shape_ratio = torch::zeros_like(result.score);
    result.pixel_residual = loss.pixel;
    result.feature_residual = loss.feature;
    result.pixel_map = heatmaps(images, reconstruction);
    result.reconstruction = reconstruction;
    result.digits = digits;
    result.density = density;
    result.realness = torch::nn::functional::softplus(-model.discriminator->forward(reconstruction).logits);
    result.reader = reader_term(model, images);
    return result;
}

}  // namespace oddigit::detail
