#pragma once
// Internal: AnoGAN's latent search (Schlegl et al. 2017), the scoring mode beside the encoder.
#include "score/terms.h"

namespace oddigit::detail {

// Scores images [N, 1, 28, 28] in [-1, 1] by searching z with Adam from a seeded random start
// on (1 - lambda) * R + lambda * D, R and D the L1 pixel and feature residuals of G(z); G and D
// stay fixed. The chunk's score is that loss at the last step, pixel and feature are R and D.
ScoredChunk latent_search(AnomalyModel::Impl& model, const torch::Tensor& images, const ScoreParams& params);

}  // namespace oddigit::detail
