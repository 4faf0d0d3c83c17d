#pragma once
// Process-wide settings of the tensor library.
#include <string>

namespace oddigit {

// Sets the number of CPU threads LibTorch uses; 0 means every core the process may use
// (LibTorch's own default is half of them). Returns the count in effect.
int set_thread_count(int threads = 0);

// Prepares the calling thread for tensor work; call it first in every worker thread.
void init_worker_thread();

// "cuda" when a CUDA device is usable, else "cpu".
std::string default_device();

}  // namespace oddigit
