#include "terms.h"

#include <torch/nn/functional.h>

#include "oddigit/score.h"

namespace oddigit::detail {

namespace {

// (x - x')^2 on the [0, 1] scale, [N, 1, 28, 28].
torch::Tensor squared_residual(const torch::Tensor& images, const torch::Tensor& reconstructions) {
    return ((images - reconstructions) * 0.5).pow(2);
}

// mean (f(x) - f(x'))^2 per image; f(x) is a fixed target, only x' carries gradients.
torch::Tensor feature_residual(DiscriminatorImpl& discriminator, const torch::Tensor& image_features,
                               const torch::Tensor& reconstructions) {
    return (image_features.detach() - discriminator.forward(reconstructions).features).pow(2).mean(1);
}

// channel_ratio() of oddigit/score.h on a batch. The threshold goes in as a tensor: CUDA
// divides by a scalar as a multiplication by its reciprocal, which can differ from the
// float division calibration used in the last bit.
torch::Tensor tensor_ratio(const torch::Tensor& value, float threshold) {
    return threshold > 0 ? value / torch::full({}, threshold, value.options()) : torch::zeros_like(value);
}

}  // namespace

torch::Tensor heatmaps(const torch::Tensor& images, const torch::Tensor& reconstructions) {
    // Binomial taps (sigma about 1 pixel), summing to 1 so the heat keeps the residual's total.
    const torch::Tensor taps = torch::tensor({1.0f, 4.0f, 6.0f, 4.0f, 1.0f}, images.options()) / 16;
    const torch::Tensor kernel = torch::outer(taps, taps).view({1, 1, 5, 5});
    return torch::nn::functional::conv2d(squared_residual(images, reconstructions), kernel,
                                         torch::nn::functional::Conv2dFuncOptions().padding(2))
        .flatten(1);
}

DigitReading read_digits(const torch::Tensor& digit_logits, const ModelInfo& info) {
    const int64_t count = digit_logits.size(0);
    const auto long_options = digit_logits.options().dtype(torch::kLong);
    if (!info.knows_digits) return {torch::zeros({count}, digit_logits.options()), torch::full({count}, -1, long_options)};
    std::vector<int64_t> normal;
    for (int digit = 0; digit < 10; ++digit)
        if (info.normal_classes.contains(digit)) normal.push_back(digit);
    const torch::Tensor classes = torch::tensor(normal, long_options);
    const torch::Tensor normal_log_probabilities =
        torch::log_softmax(digit_logits, 1).index_select(1, classes);
    return {(-torch::logsumexp(normal_log_probabilities, 1)).clamp_min(0),
            classes.index_select(0, normal_log_probabilities.argmax(1))};
}

torch::Tensor feature_density(AnomalyModel::Impl& model, const torch::Tensor& features) {
    const ModelInfo& info = model.info;
    if (!info.knows_density) return torch::zeros({features.size(0)}, features.options());
    std::vector<int64_t> normal(detail::kDigits);
    for (int digit = 0; digit < detail::kDigits; ++digit) normal[digit] = info.normal_classes.contains(digit);
    const torch::Tensor classes = torch::tensor(normal).to(torch::kBool);
    return model.density->forward(features, classes);
}

ScoredChunk score_reconstructions(AnomalyModel::Impl& model, const torch::Tensor& images,
                                  const torch::Tensor& reconstructions, const Calibration& calibration) {
    const ModelInfo& info = model.info;
    ScoredChunk r;
    r.reconstruction = reconstructions;
    r.pixel_map = heatmaps(images, reconstructions);
    r.pixel_residual = std::get<0>(r.pixel_map.topk(kHotPixels, 1)).mean(1);
    const Critique critique = model.discriminator->forward(images);
    const Critique reconstruction_critique = model.discriminator->forward(reconstructions);
    r.feature_residual = (critique.features - reconstruction_critique.features).pow(2).mean(1);
    r.digits = read_digits(critique.digit_logits, info);
    r.density = feature_density(model, critique.features);
    r.realness = torch::nn::functional::softplus(-reconstruction_critique.logits);
    const WeightedParts<torch::Tensor> parts =
        weighted_parts(info, r.pixel_residual, r.feature_residual, r.digits.not_digit, r.density, r.realness);
    r.stroke_ratio = tensor_ratio(parts.stroke(), calibration.stroke);
    r.shape_ratio = tensor_ratio(parts.shape(), calibration.shape);
    r.score = torch::max(r.stroke_ratio, r.shape_ratio);
    return r;
}

torch::Tensor izif_loss(DiscriminatorImpl& discriminator, const torch::Tensor& images,
                        const torch::Tensor& reconstructions, float kappa) {
    return squared_residual(images, reconstructions).flatten(1).mean(1) +
           kappa * feature_residual(discriminator, discriminator.forward(images).features, reconstructions);
}

}  // namespace oddigit::detail
