#include "oddigit/runtime.h"

#include <ATen/Parallel.h>
#include <sched.h>
#include <torch/cuda.h>

#include <cstdlib>
#include <thread>

namespace oddigit {

int available_cores() {
    if (const char* requested = std::getenv("OMP_NUM_THREADS"); requested && std::atoi(requested) > 0)
        return std::atoi(requested);
    cpu_set_t allowed;
    CPU_ZERO(&allowed);
    const int cores = sched_getaffinity(0, sizeof(allowed), &allowed) == 0
                          ? CPU_COUNT(&allowed)
                          : static_cast<int>(std::thread::hardware_concurrency());
    return std::max(1, cores);
}

int set_thread_count(int threads) {
    at::set_num_threads(threads > 0 ? threads : available_cores());
    return at::get_num_threads();
}

void init_worker_thread() {
    // Once per thread: a second call would reset a count set since to the process default.
    thread_local bool initialised = false;
    if (initialised) return;
    at::init_num_threads();
    initialised = true;
}

std::string default_device() { return torch::cuda::is_available() ? "cuda" : "cpu"; }

}  // namespace oddigit
