#pragma once
// Internal: the synthetic data training makes from the normal training digits alone: the
// digit head's non-digits and the encoder's corruption (oddigit/train.h's corrupted_digits()).
#include <ATen/core/Generator.h>
#include <torch/types.h>

namespace oddigit::detail {

// Non-digits made from a batch of normal digits [N, 1, 28, 28] in [-1, 1] with labels [N];
// class_digits [classes] (long) gives each class's digit, or -1 for a class that is no digit
// (an image folder's "cat"): turns and mirrors of those are left out, since which of them give
// the class back is not known.
// Each digit is turned (a quarter or a half turn), mirrored (left to right or top to bottom),
// or joined with another digit of the batch: one's side of a cut with the other's, or both
// overlaid when the two differ in class, or side by side, each squeezed to half the width,
// when they share one (so a one-class model, 0 and 8 too, gets joins). Left out are the
// changes that give a digit back: 0 and 8 turned or mirrored any way, 1 turned by half or
// mirrored, 3 mirrored top to bottom, 6 and 9 turned by half (they trade places).
// Returns [M, 1, 28, 28], M <= N.
torch::Tensor synthetic_non_digits(const torch::Tensor& digits, const torch::Tensor& labels,
                                   const torch::Tensor& class_digits, at::Generator& random);

// Throws Error unless share, the part of the encoder's digits to corrupt, lies in [0, 1].
void check_corruption_share(double share);

// corrupted_digits() on [N, 1, 28, 28] in [-1, 1], on the digits' device.
torch::Tensor corrupt(const torch::Tensor& digits, double share, at::Generator& random);

}  // namespace oddigit::detail
