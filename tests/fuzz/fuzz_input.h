#pragma once
// The readers under fuzz take a path: each input is written to a file of its own in a
// private folder, removed when the process ends.
#include <cstddef>
#include <cstdint>
#include <string>

namespace oddigit::fuzz {

// Writes data to a file named `name` in the fuzzer's folder and returns its path.
std::string write_input(const uint8_t* data, size_t size, const std::string& name);

}  // namespace oddigit::fuzz
