#include "terms.h"

#include <torch/nn/functional.h>

#include <algorithm>
#include <cmath>

#include "oddigit/metrics.h"
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
    if (!info.knows_classes) return {torch::zeros({count}, digit_logits.options()), torch::full({count}, -1, long_options)};
    std::vector<int64_t> normal;
    for (int c = 0; c < info.architecture.classes; ++c)
        if (info.normal_classes.contains(c)) normal.push_back(c);
    const torch::Tensor classes = torch::tensor(normal, long_options);
    const torch::Tensor normal_log_probabilities =
        torch::log_softmax(digit_logits, 1).index_select(1, classes);
    return {(-torch::logsumexp(normal_log_probabilities, 1)).clamp_min(0),
            classes.index_select(0, normal_log_probabilities.argmax(1))};
}

torch::Tensor feature_density(AnomalyModel::Impl& model, const torch::Tensor& features) {
    const ModelInfo& info = model.info;
    if (!info.knows_density) return torch::zeros({features.size(0)}, features.options());
    std::vector<int64_t> normal(info.architecture.classes);
    for (int c = 0; c < info.architecture.classes; ++c) normal[c] = info.normal_classes.contains(c);
    const torch::Tensor classes = torch::tensor(normal).to(torch::kBool);
    return model.density->forward(features, classes);
}

namespace {

// The indices of the model's normal classes among the readers' logits.
torch::Tensor normal_classes(const ModelInfo& info, const torch::Device& device) {
    std::vector<int64_t> normal;
    for (int c = 0; c < info.architecture.classes; ++c)
        if (info.normal_classes.contains(c)) normal.push_back(c);
    return torch::tensor(normal, torch::TensorOptions().dtype(torch::kLong).device(device));
}

}  // namespace

torch::Tensor reader_logsumexp(AnomalyModel::Impl& model, const torch::Tensor& images) {
    const torch::Tensor classes = normal_classes(model.info, images.device());
    torch::Tensor sum = torch::zeros({images.size(0)}, images.options());
    for (int i = 0; i < model.reader->count(); ++i)
        sum = sum + torch::logsumexp(model.reader->reader(i)->forward(images).logits.index_select(1, classes), 1);
    return sum / std::max(1, model.reader->count());
}

torch::Tensor reader_term(AnomalyModel::Impl& model, const torch::Tensor& images) {
    const ModelInfo& info = model.info;
    const int readers = model.reader->count();
    if (readers == 0) return torch::zeros({images.size(0)}, images.options());
    switch (info.reader_term) {
        case ReaderTerm::Energy: return (info.reader_offset - reader_logsumexp(model, images)).clamp_min(0);
        case ReaderTerm::NotADigit: {
            const torch::Tensor classes = normal_classes(info, images.device());
            torch::Tensor doubt = torch::zeros({images.size(0)}, images.options());
            for (int i = 0; i < readers; ++i) {
                const torch::Tensor logits = model.reader->reader(i)->forward(images).logits;
                doubt = doubt - torch::logsumexp(torch::log_softmax(logits, 1).index_select(1, classes), 1);
            }
            return (doubt / readers).clamp_min(0);
        }
        case ReaderTerm::Neighbours: {
            if (!has_reader_term(model)) return torch::zeros({images.size(0)}, images.options());
            const torch::Tensor features =
                torch::nn::functional::normalize(model.reader->reader(0)->forward(images).features,
                                                 torch::nn::functional::NormalizeFuncOptions().dim(1));
            const torch::Tensor nearest =
                std::get<0>(features.mm(model.reader->transposed_bank()).topk(kReaderNeighbours, 1));
            return (1 - nearest).mean(1);
        }
    }
    return torch::zeros({images.size(0)}, images.options());
}

bool has_reader_term(const AnomalyModel::Impl& model) {
    return model.info.architecture.readers > 0 &&
           (model.info.reader_term != ReaderTerm::Neighbours || model.reader->bank().size(0) >= kReaderNeighbours);
}

ChannelTail channel_tail(const std::vector<float>& values) {
    ChannelTail tail;
    if (values.empty()) return tail;
    tail.sorted = values;
    std::sort(tail.sorted.begin(), tail.sorted.end());
    const float cut = quantile(values, kTailQuantile);
    double excess = 0;
    int64_t over = 0;
    for (float value : tail.sorted)
        if (value > cut) excess += value - cut, ++over;
    tail.mean_excess = over > 0 ? static_cast<float>(excess / over) : 0.0f;
    return tail;
}

namespace {

// [N]: ln p(value), p the tail share of tail.sorted, given as the tensor sorted (see tail_ratio()).
torch::Tensor log_tail_share(const torch::Tensor& values, const ChannelTail& tail, const torch::Tensor& sorted) {
    const auto options = values.options();
    const int64_t count = sorted.size(0);
    // The share at sorted[j] is (count - j) / count; between neighbours it is interpolated.
    const torch::Tensor above = torch::searchsorted(sorted, values).clamp(1, count - 1);
    const torch::Tensor low = sorted.index_select(0, above - 1), high = sorted.index_select(0, above);
    const torch::Tensor position = ((values - low) / (high - low).clamp_min(1e-30f)).clamp(0, 1);
    const torch::Tensor share = (count - (above - 1).to(options.dtype()) - position) / count;
    const float largest = tail.sorted.back();
    // Beyond the largest: an exponential fall from 1 / count, in log space so that it never
    // rounds to 0. Under the smallest: 1.
    const torch::Tensor beyond = -std::log(static_cast<float>(count)) -
                                 (values - largest) / std::max(tail.mean_excess, 1e-30f);
    return torch::where(values > largest, beyond,
                        torch::where(values <= tail.sorted.front(), torch::zeros_like(values), share.log()));
}

}  // namespace

torch::Tensor tail_ratio(const torch::Tensor& values, const ChannelTail& tail, float threshold) {
    if (!(threshold > 0)) return torch::zeros_like(values);
    if (tail.sorted.size() < 2 || !(threshold > tail.sorted.front())) return tensor_ratio(values, threshold);
    const torch::Tensor sorted = torch::tensor(tail.sorted, values.options());
    const torch::Tensor at_threshold = log_tail_share(torch::full({1}, threshold, values.options()), tail, sorted);
    return log_tail_share(values, tail, sorted) / at_threshold;
}

torch::Tensor fused_score(const Calibration& calibration, const torch::Tensor& stroke, const torch::Tensor& shape) {
    return torch::max(tail_ratio(stroke, calibration.stroke_tail, calibration.stroke),
                      tail_ratio(shape, calibration.shape_tail, calibration.shape));
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
    r.reader = reader_term(model, images);
    const WeightedParts<torch::Tensor> parts =
        weighted_parts<torch::Tensor>(info.terms, r.pixel_residual, r.feature_residual,
                                      {r.digits.not_digit, r.density, r.realness, r.reader});
    r.stroke_ratio = tensor_ratio(parts.stroke(), calibration.stroke);
    r.shape_ratio = tensor_ratio(parts.shape(), calibration.shape);
    r.score = fused_score(calibration, parts.stroke(), parts.shape());
    return r;
}

torch::Tensor izif_loss(DiscriminatorImpl& discriminator, const torch::Tensor& images,
                        const torch::Tensor& reconstructions, float kappa) {
    return squared_residual(images, reconstructions).flatten(1).mean(1) +
           kappa * feature_residual(discriminator, discriminator.forward(images).features, reconstructions);
}

}  // namespace oddigit::detail
