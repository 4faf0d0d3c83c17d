#pragma once
// The digit reader: a CNN of its own that names the normal digit of an image, for the shape
// channel's "is this a digit at all?" (docs/method.md, "The digit reader"). A model may hold
// several, averaged, and the features of its training digits for a nearest-neighbour term.
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

namespace oddigit::detail {

// Hidden features per image: the layer the nearest-neighbour term compares.
constexpr int64_t kReaderFeatures = 128;

struct Reading {
    torch::Tensor logits;    // [N, classes + 1]: the classes, then "none of them"
    torch::Tensor features;  // [N, kReaderFeatures], after the ReLU
};

// image [N, 1, 28, 28] in [-1, 1] -> two 5x5 convolutions (32 and 64 channels, each with ReLU
// and 2x2 pooling), a hidden layer, the logits.
class DigitReaderImpl : public torch::nn::Module {
public:
    explicit DigitReaderImpl(int classes);
    Reading forward(const torch::Tensor& image);

private:
    torch::nn::Conv2d conv14_{nullptr};
    torch::nn::Conv2d conv7_{nullptr};
    torch::nn::Linear hidden_{nullptr};
    torch::nn::Linear classify_{nullptr};
};
TORCH_MODULE(DigitReader);

// The model's readers ("0", "1", ...) and the bank of its training digits' features ("bank",
// unit length, [M, kReaderFeatures]; empty unless the term compares neighbours).
class ReadersImpl : public torch::nn::Module {
public:
    ReadersImpl(int count, int classes);
    int count() const { return static_cast<int>(readers_->size()); }
    DigitReader reader(int i) { return readers_->ptr<DigitReaderImpl>(i); }
    const torch::Tensor& bank() const { return bank_; }
    // Replaces the bank (a file's, or a training's), on the readers' device.
    void set_bank(const torch::Tensor& features);

private:
    torch::nn::ModuleList readers_{nullptr};
    torch::Tensor bank_;
};
TORCH_MODULE(Readers);

}  // namespace oddigit::detail
