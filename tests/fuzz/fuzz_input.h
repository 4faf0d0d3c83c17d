#pragma once
// The readers under fuzz take a path: each input is written to a file of its own in a
// private folder, removed when the process ends.
#include <cstddef>
#include <cstdint>
#include <string>

namespace oddigit::fuzz {

// The fuzzer's private folder (in memory where /dev/shm exists).
const std::string& folder();
// Writes data to a file named `name` (a path relative to folder(), whose folders exist) and
// returns its path.
std::string write_input(const uint8_t* data, size_t size, const std::string& name);

}  // namespace oddigit::fuzz
