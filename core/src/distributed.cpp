#include <chrono>
#include <cstdlib>
#include <limits>

#include <torch/torch.h>

#ifdef ODDIGIT_HAVE_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif

#include "oddigit/error.h"
#include "oddigit/runtime.h"
#include "process_group.h"

namespace oddigit {

namespace {

// Collective threads per rank: the Gloo default PyTorch uses too.
constexpr int kGlooThreads = 2;

int environment_int(const char* name, int fallback, int min, int max) {
    const char* text = std::getenv(name);
    if (!text || !*text) return fallback;
    char* end = nullptr;
    const long value = std::strtol(text, &end, 10);
    if (*end != '\0' || value < min || value > max)
        throw Error(std::string("$") + name + " is '" + text + "', not a whole number from " + std::to_string(min) +
                    " to " + std::to_string(max));
    return static_cast<int>(value);
}

std::string where(const DistributedParams& params) {
    return params.master_addr + ":" + std::to_string(params.master_port);
}

}  // namespace

DistributedParams distributed_from_environment(DistributedParams params) {
    params.world_size = environment_int("WORLD_SIZE", params.world_size, 1, std::numeric_limits<int>::max());
    params.rank = environment_int("RANK", params.rank, 0, std::numeric_limits<int>::max());
    if (const char* address = std::getenv("MASTER_ADDR"); address && *address) params.master_addr = address;
    params.master_port = environment_int("MASTER_PORT", params.master_port, 1, 65535);
    return params;
}

void check_distributed(const DistributedParams& params) {
    if (params.world_size < 1) throw Error("the world size must be at least 1");
    if (params.rank < 0 || params.rank >= params.world_size)
        throw Error("rank " + std::to_string(params.rank) + " is not one of 0.." + std::to_string(params.world_size - 1));
    if (params.master_port < 1 || params.master_port > 65535)
        throw Error("the master port " + std::to_string(params.master_port) + " is not one of 1..65535");
    if (params.timeout_seconds < 1) throw Error("the timeout must be at least a second");
    if (params.world_size > 1 && !distributed_available())
        throw Error("this build has no distributed training: it was built without Gloo's headers "
                    "(install libgloo-dev and build again)");
}

bool distributed_available() {
#ifdef ODDIGIT_HAVE_GLOO
    return true;
#else
    return false;
#endif
}

namespace detail {

#ifdef ODDIGIT_HAVE_GLOO
struct ProcessGroup::Backend {
    c10::intrusive_ptr<c10d::Store> store;
    c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
    std::string where;
};

namespace {
// The network interface Gloo sends through: the one named in $GLOO_SOCKET_IFNAME (as in
// PyTorch), loopback for a run on one machine, else the address this machine's name has.
std::shared_ptr<::gloo::transport::Device> transport_device(const std::string& master_addr) {
    if (const char* interface = std::getenv("GLOO_SOCKET_IFNAME"); interface && *interface)
        return c10d::ProcessGroupGloo::createDeviceForInterface(interface);
    if (master_addr == "localhost" || master_addr.rfind("127.", 0) == 0)
        return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
    return c10d::ProcessGroupGloo::createDefaultDevice();
}
}  // namespace
#else
struct ProcessGroup::Backend {};
#endif

ProcessGroup::ProcessGroup(const DistributedParams& params) : world_size_(params.world_size), rank_(params.rank) {
    check_distributed(params);
    if (world_size_ == 1) return;
#ifdef ODDIGIT_HAVE_GLOO
    const std::chrono::milliseconds timeout(static_cast<int64_t>(params.timeout_seconds) * 1000);
    backend_ = std::make_unique<Backend>();
    backend_->where = where(params);
    try {
        c10d::TCPStoreOptions store_options;
        store_options.port = static_cast<uint16_t>(params.master_port);
        store_options.isServer = rank_ == 0;
        store_options.numWorkers = world_size_;
        store_options.waitWorkers = true;
        store_options.timeout = timeout;
        backend_->store = c10::make_intrusive<c10d::TCPStore>(params.master_addr, store_options);
        auto options = c10d::ProcessGroupGloo::Options::create(timeout);
        options->devices.push_back(transport_device(params.master_addr));
        options->threads = kGlooThreads;
        backend_->group = c10::make_intrusive<c10d::ProcessGroupGloo>(backend_->store, rank_, world_size_, options);
    } catch (const std::exception& error) {
        throw Error("rank " + std::to_string(rank_) + " of " + std::to_string(world_size_) + " could not meet the others at " +
                    backend_->where + ": " + error.what());
    }
#endif
}

ProcessGroup::~ProcessGroup() = default;

void ProcessGroup::sum(const std::vector<torch::Tensor>& tensors, double ExchangeSeconds::*what) {
    if (world_size_ == 1 || tensors.empty()) return;
#ifdef ODDIGIT_HAVE_GLOO
    std::vector<torch::Tensor> flat_views;
    for (const torch::Tensor& tensor : tensors) flat_views.push_back(tensor.reshape({-1}));
    std::vector<torch::Tensor> buffer{torch::cat(flat_views)};
    const Stopwatch start;
    try {
        backend_->group->allreduce(buffer)->wait();
        exchange_seconds_.*what += start.seconds();
    } catch (const std::exception& error) {
        throw Error("rank " + std::to_string(rank_) + " lost the other ranks (master " + backend_->where + "): " + error.what());
    }
    int64_t offset = 0;
    torch::NoGradGuard no_grad;
    for (const torch::Tensor& tensor : tensors) {
        tensor.copy_(buffer[0].narrow(0, offset, tensor.numel()).view_as(tensor));
        offset += tensor.numel();
    }
#endif
}

void ProcessGroup::sum_gradients(torch::nn::Module& module) {
    std::vector<torch::Tensor> gradients;
    for (const torch::Tensor& parameter : module.parameters())
        if (parameter.grad().defined()) gradients.push_back(parameter.grad());
    sum(gradients, &ExchangeSeconds::gradients);
}

namespace {
// y = the sum over the ranks of x; each rank's loss is its part of the whole one, so the
// gradient of x is the sum over the ranks of the gradient of y.
class SumOverRanks : public torch::autograd::Function<SumOverRanks> {
public:
    static torch::Tensor forward(torch::autograd::AutogradContext* context, const torch::Tensor& input,
                                 ProcessGroup* group) {
        context->saved_data["group"] = reinterpret_cast<int64_t>(group);
        const torch::Tensor total = input.clone();
        group->sum({total}, &ExchangeSeconds::batch_norm);
        return total;
    }

    static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* context,
                                                 const torch::autograd::tensor_list& gradients) {
        auto* group = reinterpret_cast<ProcessGroup*>(context->saved_data["group"].toInt());
        const torch::Tensor total = gradients[0].clone();
        group->sum({total}, &ExchangeSeconds::batch_norm);
        return {total, torch::Tensor()};
    }
};
}  // namespace

torch::Tensor ProcessGroup::sum_with_gradient(const torch::Tensor& tensor) {
    if (world_size_ == 1) return tensor;
    return SumOverRanks::apply(tensor, this);
}

}  // namespace detail

}  // namespace oddigit
