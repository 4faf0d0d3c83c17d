#include "oddigit/runtime.h"

#include <ATen/Parallel.h>
#include <sched.h>
#include <torch/cuda.h>

#include <thread>

namespace oddigit {

int set_thread_count(int threads) {
    if (threads <= 0) {
        cpu_set_t allowed;
        CPU_ZERO(&allowed);
        threads = sched_getaffinity(0, sizeof(allowed), &allowed) == 0 ? CPU_COUNT(&allowed)
                                                                       : static_cast<int>(std::thread::hardware_concurrency());
        threads = std::max(1, threads);
    }
    at::set_num_threads(threads);
    return at::get_num_threads();
}

void init_worker_thread() { at::init_num_threads(); }

std::string default_device() { return torch::cuda::is_available() ? "cuda" : "cpu"; }

}  // namespace oddigit
