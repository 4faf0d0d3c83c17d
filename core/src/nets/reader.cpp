#include "reader.h"

#include <torch/nn/functional.h>

#include "networks.h"

namespace oddigit::detail {

namespace F = torch::nn::functional;

namespace {
constexpr int64_t kKernel = 5;
constexpr int64_t kChannels = 32;
}  // namespace

DigitReaderImpl::DigitReaderImpl(int classes) {
    conv14_ = register_module("conv14", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, kChannels, kKernel).padding(kKernel / 2)));
    conv7_ = register_module("conv7",
                             torch::nn::Conv2d(torch::nn::Conv2dOptions(kChannels, 2 * kChannels, kKernel).padding(kKernel / 2)));
    hidden_ = register_module("hidden", torch::nn::Linear(2 * kChannels * kGridSide * kGridSide, kReaderFeatures));
    classify_ = register_module("classify", torch::nn::Linear(kReaderFeatures, classes + 1));
}

Reading DigitReaderImpl::forward(const torch::Tensor& image) {
    torch::Tensor x = F::max_pool2d(torch::relu(conv14_(image)), F::MaxPool2dFuncOptions(2));
    x = F::max_pool2d(torch::relu(conv7_(x)), F::MaxPool2dFuncOptions(2));
    const torch::Tensor features = torch::relu(hidden_(x.flatten(1)));
    return {classify_(features), features};
}

ReadersImpl::ReadersImpl(int count, int classes) {
    readers_ = register_module("readers", torch::nn::ModuleList());
    for (int i = 0; i < count; ++i) readers_->push_back(DigitReader(classes));
    bank_ = register_buffer("bank", torch::zeros({0, kReaderFeatures}));
}

void ReadersImpl::set_bank(const torch::Tensor& features) {
    // The registered buffer takes the new values (and size) in place, so the module's own
    // record of it follows.
    torch::NoGradGuard no_grad;
    bank_.set_(features.detach().to(bank_.device(), torch::kFloat).contiguous().clone());
}

}  // namespace oddigit::detail
