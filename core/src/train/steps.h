#pragma once
// Internal: one optimisation step of each training phase, as plain as the DCGAN example's.
// Drawing and sharding the batch, NaN checks, timing and progress are the trainer's.
#include <functional>

#include <torch/optim/adam.h>

#include "nets/networks.h"
#include "nets/reader.h"

namespace oddigit::detail {

// Sums a network's gradients over the ranks of a distributed run; does nothing in a run of
// one process.
using GradientSum = std::function<void(torch::nn::Module&)>;

// This rank's share of one GAN batch. Losses are this rank's part of the whole batch's means,
// so that summed over the ranks they and their gradients are the whole batch's.
struct GanBatch {
    torch::Tensor real;             // [n, 1, 28, 28] normal digits in [-1, 1]
    torch::Tensor labels;           // [n] their digits (long)
    torch::Tensor noise;            // [n, latent_dim]
    torch::Tensor non_digits;       // [m, 1, 28, 28] synthetic non-digits
    // Whether the digit head learns the non-digits this step: only when every rank has some,
    // since each forward pass moves D's spectral-norm estimates, which must move alike on all ranks.
    bool learn_non_digits = false;
    double whole_batch = 0;         // images in the whole batch, over every rank
    double whole_non_digits = 0;    // non-digits in the whole batch
};

struct GanLosses {
    torch::Tensor discriminator;  // hinge loss + the digit head's loss
    torch::Tensor digit;          // the digit head's cross-entropy, digits and non-digits
    torch::Tensor generator;
    torch::Tensor real_logits;    // D's logits [n] of the real images
    torch::Tensor fake_logits;    // D's logits [n] of G(z), before the generator's step
};

// 1. D: hinge loss on real images and on G(z); its digit head names the digit of each real
// image and calls the synthetic non-digits none. 2. G: raise D's opinion of G(z).
GanLosses gan_step(GeneratorImpl& generator, DiscriminatorImpl& discriminator, torch::optim::Adam& generator_optimizer,
                   torch::optim::Adam& discriminator_optimizer, const GanBatch& batch, const GradientSum& sum_gradients);

// izi_f with G and D frozen: E learns to reconstruct the clean digits through G(E(input)),
// input being the digits as corrupted for it. Returns this rank's part of the whole batch's
// mean loss.
torch::Tensor encoder_step(EncoderImpl& encoder, GeneratorImpl& generator, DiscriminatorImpl& discriminator,
                           torch::optim::Adam& optimizer, const torch::Tensor& clean, const torch::Tensor& input,
                           float kappa, int64_t whole_batch, const GradientSum& sum_gradients);

// Each reader learns to name the digits (labels) and to call the non-digits "not a digit"
// (none when empty). Returns this rank's part of the whole batch's mean cross-entropy, over the
// readers: whole_batch digits and whole_non_digits non-digits over every rank.
// The supervised contrastive step instead (Khosla et al. 2020, as KNN+ trains): each reader's
// unit-length hidden features of two views of each digit pull together those of one class and
// push apart the rest, at temperature 0.1. One process only (the loss needs every rank's
// features). Returns the mean loss over the readers.
torch::Tensor reader_contrastive_step(ReadersImpl& readers, torch::optim::Adam& optimizer, const torch::Tensor& view,
                                      const torch::Tensor& other_view, const torch::Tensor& labels);

torch::Tensor reader_step(ReadersImpl& readers, torch::optim::Adam& optimizer, const torch::Tensor& digits,
                          const torch::Tensor& labels, const torch::Tensor& non_digits, double whole_batch,
                          double whole_non_digits, const GradientSum& sum_gradients);

}  // namespace oddigit::detail
