#pragma once
// The digit reader: a CNN of its own that names the normal digit of an image, for the shape
// channel's "is this a digit at all?" (docs/method.md, "The digit reader"). A model may hold
// several, averaged, and the features of its training digits for a nearest-neighbour term.
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

namespace oddigit::detail {

struct Reading {
    torch::Tensor logits;    // [N, classes + 1]: the classes, then "none of them"
    torch::Tensor features;  // [N, Architecture::reader_features], after the ReLU
};

// image [N, 1, 28, 28] in [-1, 1] -> two 5x5 convolutions (32 and 64 channels, each with ReLU
// and 2x2 pooling), a hidden layer, the logits.
class DigitReaderImpl : public torch::nn::Module {
public:
    DigitReaderImpl(int classes, int features);
    Reading forward(const torch::Tensor& image);

private:
    torch::nn::Conv2d conv14_{nullptr};
    torch::nn::Conv2d conv7_{nullptr};
    torch::nn::Linear hidden_{nullptr};
    torch::nn::Linear classify_{nullptr};
};
TORCH_MODULE(DigitReader);

// The model's readers ("0", "1", ...) and the bank of its training digits' features ("bank",
// unit length, [M, features]; empty unless the term compares neighbours).
class ReadersImpl : public torch::nn::Module {
public:
    ReadersImpl(int count, int classes, int features);
    int count() const { return static_cast<int>(readers_->size()); }
    DigitReader reader(int i) { return readers_->ptr<DigitReaderImpl>(i); }
    const torch::Tensor& bank() const { return bank_; }
    // Replaces the bank (a file's, or a training's), on the readers' device.
    void set_bank(const torch::Tensor& features);
    // The bank transposed, [features, M], contiguous: the similarities of images to the whole
    // bank then read it in memory order, twice as fast for one image as the bank as stored.
    // Made again whenever the bank changed (set_bank(), a file's values, a move to a device).
    const torch::Tensor& transposed_bank();

private:
    torch::nn::ModuleList readers_{nullptr};
    torch::Tensor bank_;
    torch::Tensor transposed_;
    const void* transposed_from_ = nullptr;  // the bank's storage and version it was made from
    int64_t transposed_version_ = -1;
};
TORCH_MODULE(Readers);

}  // namespace oddigit::detail
