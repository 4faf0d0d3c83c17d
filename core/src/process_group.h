#pragma once
// The training's view of the other ranks (see oddigit/distributed.h): a c10d process group,
// or nothing at all for a run of one process.
#include <memory>
#include <vector>

#include <torch/nn/module.h>

#include "oddigit/distributed.h"
#include "oddigit/train.h"

namespace oddigit::detail {

class ProcessGroup {
public:
    // Joins the run: rank 0 opens a TCP store at the master address, the others connect to
    // it, and all meet there. Throws Error when they do not meet within the timeout.
    explicit ProcessGroup(const DistributedParams& params);
    ~ProcessGroup();

    int world_size() const { return world_size_; }
    int rank() const { return rank_; }
    // Seconds spent in collectives since the group was made, by what they carried.
    const ExchangeSeconds& exchange_seconds() const { return exchange_seconds_; }

    // Sums the tensors over the ranks, in place, in one collective; its time counts as `what`.
    void sum(const std::vector<torch::Tensor>& tensors, double ExchangeSeconds::*what);
    // Sums the gradients of the module's parameters over the ranks.
    void sum_gradients(torch::nn::Module& module);
    // The sum over the ranks of each one's tensor, as a new tensor whose gradient is summed
    // over the ranks on the way back, so each rank's part gets the whole loss's gradient
    // (SyncBatchNorm's statistics). A run of one process gets its tensor back.
    torch::Tensor sum_with_gradient(const torch::Tensor& tensor);

private:
    struct Backend;
    int world_size_ = 1;
    int rank_ = 0;
    ExchangeSeconds exchange_seconds_;
    std::unique_ptr<Backend> backend_;
};

}  // namespace oddigit::detail
