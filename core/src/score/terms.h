#pragma once
// Internal: the anomaly score's terms on tensors (oddigit/score.h holds their weighted sum).
#include <torch/types.h>

#include "model_impl.h"

namespace oddigit::detail {

// Heatmaps [N, 784] of images x and reconstructions x' in [-1, 1]: (x - x')^2 on the [0, 1]
// scale, smoothed with a 5x5 binomial kernel, so a stroke's connected residual stands out
// from the single pixels of the digit's outline that every reconstruction misses.
torch::Tensor heatmaps(const torch::Tensor& images, const torch::Tensor& reconstructions);

// The score's pixel residual is the mean of this many hottest heatmap pixels rather than the mean
// of all 784, so an odd stroke of a few dozen pixels is not diluted by hundreds that fit
// (docs/decisions.md says how 20 was chosen).
constexpr int64_t kHotPixels = 20;

// What D's digit head says of images, given its logits [N, classes + 1].
struct DigitReading {
    torch::Tensor not_digit;   // [N], -log P(one of the normal classes); zeros without a head
    torch::Tensor best_class;  // [N] long, the likeliest normal class; -1 without a head
};
DigitReading read_digits(const torch::Tensor& digit_logits, const ModelInfo& info);

// [N]: the model's feature density distance of D's features [N, F] to its normal classes;
// zeros for a model without a density.
torch::Tensor feature_density(AnomalyModel::Impl& model, const torch::Tensor& features);

// [N]: the normal classes' logsumexp of the model's digit readers (averaged over them), the
// energy whose held-out median calibration keeps as ModelInfo::reader_offset.
torch::Tensor reader_logsumexp(AnomalyModel::Impl& model, const torch::Tensor& images);

// [N]: the readers' term of the shape channel (ModelInfo::reader_term); zeros without readers,
// or for the Neighbours term before the readers' bank is set (by their training).
torch::Tensor reader_term(AnomalyModel::Impl& model, const torch::Tensor& images);
// Whether reader_term() measures anything: the model has readers, and for the Neighbours term
// their bank (so a training's calibrations before the readers learn leave the term out).
bool has_reader_term(const AnomalyModel::Impl& model);

// A channel's tail beyond its calibration values falls as an exponential fitted to the values
// over this quantile.
constexpr float kTailQuantile = 0.95f;

// The neighbours a Neighbours term averages over.
constexpr int64_t kReaderNeighbours = 10;

// The scores of one chunk of images [N, 1, 28, 28], by the encoder or the latent search.
struct ScoredChunk {
    torch::Tensor score;           // [N], fused_score() of the channels (search mode: the search loss)
    torch::Tensor stroke_ratio;    // [N]; zeros in search mode
    torch::Tensor shape_ratio;     // [N]; zeros in search mode
    torch::Tensor pixel_residual;    // [N], mean of the kHotPixels largest values of pixel_map
    torch::Tensor feature_residual;  // [N], mean (f(x) - f(x'))^2
    torch::Tensor pixel_map;       // [N, 784], heatmaps(x, x')
    torch::Tensor reconstruction;  // [N, 1, 28, 28], x'
    DigitReading digits;           // of x
    torch::Tensor density;         // [N], the feature density's distance of f(x); zeros without one
    torch::Tensor realness;        // [N], -log sigmoid(D's realness logit of x')
    torch::Tensor reader;          // [N], reader_term(x)
};

// The tail of a channel's calibration values (their sorted copy and the mean excess of their
// top 5 % over its 95th percentile); empty for no values.
ChannelTail channel_tail(const std::vector<float>& values);

// [N]: a channel's tail ratio, ln p(value) / ln p(threshold), p the tail share among the
// calibration images' values of the channel: the share at or above a value, interpolated
// between them, and beyond the largest falling as an exponential of the tail's mean excess.
// It reaches 1 exactly where the value reaches the threshold, and grows with the evidence as a
// tail probability does rather than as the raw value does. Without calibration values, the
// plain ratio value / threshold; 0 when the threshold is 0.
torch::Tensor tail_ratio(const torch::Tensor& values, const ChannelTail& tail, float threshold);

// [N]: the fused score of the channels' values: the larger of their tail ratios (fusion by
// tail probability: the channel whose value is rarer among the held-out images speaks).
torch::Tensor fused_score(const Calibration& calibration, const torch::Tensor& stroke, const torch::Tensor& shape);

// The encoder-mode scores of images x and their reconstructions x', both in [-1, 1]: the
// terms and channels of oddigit/score.h, the ratios taken against thresholds.
ScoredChunk score_reconstructions(AnomalyModel::Impl& model, const torch::Tensor& images,
                                  const torch::Tensor& reconstructions, const Calibration& calibration);

// The encoder's izi_f training loss per image [N]: mean (x - x')^2 + kappa * mean (f(x) - f(x'))^2.
// It averages every pixel, unlike the score, so each pixel of the reconstruction gets a gradient.
torch::Tensor izif_loss(DiscriminatorImpl& discriminator, const torch::Tensor& images,
                        const torch::Tensor& reconstructions, float kappa);


}  // namespace oddigit::detail
