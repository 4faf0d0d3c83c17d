#pragma once
// Data-parallel training over several processes, on one machine or several: LibTorch's own
// c10d with the Gloo backend (CPU tensors, and CUDA tensors through the host). Each process
// (a rank) trains on its shard of every batch; gradients are summed over the ranks before
// each optimizer step, so every rank ends with the same weights. Rank 0 needs an output path;
// every rank given one writes its own copy of the model and the resume file, rank R > 0 at
// rank_output_path() (oddigit/train.h), and a run in which two ranks on one machine would
// write one file is refused by all of them.
#include <string>

namespace oddigit {

struct DistributedParams {
    int world_size = 1;                     // processes in the run; 1 trains alone
    int rank = 0;                           // this process, 0 .. world_size - 1
    std::string master_addr = "127.0.0.1";  // where rank 0 listens for the others to meet
    int master_port = 29500;
    int timeout_seconds = 600;              // how long a rank waits for the others, at start and in each step
};

// params with torchrun's environment laid over it: WORLD_SIZE, RANK, MASTER_ADDR and
// MASTER_PORT, each where set. Throws Error for a value that is not a number in range.
DistributedParams distributed_from_environment(DistributedParams params = {});

// Throws Error unless the params describe a run: world_size >= 1, 0 <= rank < world_size,
// a port in 1..65535, and a build that has the Gloo backend when world_size > 1.
void check_distributed(const DistributedParams& params);

// Whether this build has the Gloo backend (built where Gloo's headers were found).
bool distributed_available();

}  // namespace oddigit
