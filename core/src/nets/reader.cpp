#include "reader.h"

#include <torch/nn/functional.h>

#include "networks.h"

namespace oddigit::detail {

namespace F = torch::nn::functional;

namespace {
constexpr int64_t kKernel = 5;
constexpr int64_t kChannels = 32;
}  // namespace

DigitReaderImpl::DigitReaderImpl(int classes, int features) {
    conv14_ = register_module("conv14", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, kChannels, kKernel).padding(kKernel / 2)));
    conv7_ = register_module("conv7",
                             torch::nn::Conv2d(torch::nn::Conv2dOptions(kChannels, 2 * kChannels, kKernel).padding(kKernel / 2)));
    hidden_ = register_module("hidden", torch::nn::Linear(2 * kChannels * kGridSide * kGridSide, features));
    classify_ = register_module("classify", torch::nn::Linear(features, classes + 1));
}

Reading DigitReaderImpl::forward(const torch::Tensor& image) {
    torch::Tensor x = F::max_pool2d(torch::relu(conv14_(image)), F::MaxPool2dFuncOptions(2));
    x = F::max_pool2d(torch::relu(conv7_(x)), F::MaxPool2dFuncOptions(2));
    const torch::Tensor features = torch::relu(hidden_(x.flatten(1)));
    return {classify_(features), features};
}

ReadersImpl::ReadersImpl(int count, int classes, int features) {
    readers_ = register_module("readers", torch::nn::ModuleList());
    for (int i = 0; i < count; ++i) readers_->push_back(DigitReader(classes, features));
    bank_ = register_buffer("bank", torch::zeros({0, features}));
}

const torch::Tensor& ReadersImpl::transposed_bank() {
    if (!transposed_.defined() || transposed_from_ != bank_.data_ptr() || transposed_version_ != bank_._version()) {
        transposed_ = bank_.t().contiguous();
        transposed_from_ = bank_.data_ptr();
        transposed_version_ = bank_._version();
    }
    return transposed_;
}

void ReadersImpl::set_bank(const torch::Tensor& features) {
    // The registered buffer takes the new values (and size) in place, so the module's own
    // record of it follows.
    torch::NoGradGuard no_grad;
    bank_.set_(features.detach().to(bank_.device(), torch::kFloat).contiguous().clone());
}

}  // namespace oddigit::detail
