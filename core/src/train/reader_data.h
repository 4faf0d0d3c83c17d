#pragma once
// Internal: what the digit readers learn from, made from the normal training digits alone:
// the digits moved by writer variation, and the non-digits of ReaderNegatives.
#include <ATen/core/Generator.h>
#include <torch/types.h>

#include "model_impl.h"
#include "oddigit/train.h"

namespace oddigit::detail {

// Digits [N, 1, 28, 28] in [-1, 1] as other writers might have written them: each moved by a
// random affine change (up to 10 degrees of turn, 10 % of scale, 0.15 of shear, 2 pixels of
// shift), and a third of them drawn with a thicker pen, a third with a thinner one (a 3x3 grey
// dilation or erosion averaged with the digit).
torch::Tensor writer_variation(const torch::Tensor& digits, at::Generator& random);

// Digits as other scanners might have given them: a third blurred (a Gaussian of up to 1
// pixel), a third scanned coarsely (down to 14-20 pixels a side and back), a third as they are.
torch::Tensor scanner_variation(const torch::Tensor& digits, at::Generator& random);

// One non-digit per digit of the batch [N, 1, 28, 28] in [-1, 1] with labels [N], of the kind
// asked for; an empty tensor for ReaderNegatives::None. GanMixes uses the model's frozen G and E.
torch::Tensor reader_negatives(ReaderNegatives kind, const torch::Tensor& digits, const torch::Tensor& labels,
                               AnomalyModel::Impl& model, at::Generator& random);

}  // namespace oddigit::detail
