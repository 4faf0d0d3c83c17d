#pragma once
// Process-wide settings of the tensor library, and the clock that times work.
#include <chrono>
#include <string>

namespace oddigit {

// The cores this process may use: $OMP_NUM_THREADS when it is set to a positive number (so
// a test runner or a batch system can share the cores out), else the CPU affinity's count.
int available_cores();

// Sets the number of CPU threads LibTorch uses in the calling thread and in threads started
// after it; 0 means available_cores() (LibTorch's own default is half of them). Returns the
// count in effect.
int set_thread_count(int threads = 0);

// Prepares the calling thread for tensor work; call it first in every worker thread. Later
// calls in the same thread do nothing, so they keep a thread count set after the first.
void init_worker_thread();

// "cuda" when a CUDA device is usable, else "cpu".
std::string default_device();

// Seconds since it was made or last restarted, on the monotonic clock.
class Stopwatch {
public:
    double seconds() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(); }
    void restart() { start_ = std::chrono::steady_clock::now(); }

private:
    std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace oddigit
