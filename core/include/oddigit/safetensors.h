#pragma once
// The safetensors file format (what Python's `safetensors` package reads and writes):
// 8 bytes little-endian header length N, N bytes of JSON header, then the raw tensor bytes.
// The header maps each tensor name to {"dtype", "shape", "data_offsets"} and may hold a
// "__metadata__" object of string values.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace oddigit::safetensors {

enum class DType { F32, F64, I64, U8 };

struct Tensor {
    DType dtype = DType::F32;
    std::vector<int64_t> shape;
    std::vector<uint8_t> bytes;  // little-endian, row-major

    int64_t element_count() const;
};

struct File {
    std::map<std::string, std::string> metadata;
    std::map<std::string, Tensor> tensors;
};

// Largest file read() accepts; models are a few MB.
constexpr int64_t kMaxFileBytes = int64_t{1} << 31;

// Writes the file atomically (temporary file, fsync, rename), so a crash never leaves a
// half-written file under path. Throws Error when a tensor's byte count does not match its
// shape and dtype, or the file cannot be written.
void write(const std::string& path, const File& file);

// Reads and fully validates a file: header length, JSON syntax, every dtype, shape and
// offset, offsets that tile the data without gaps or overlap, and the total length.
// Throws Error with the reason for a truncated, foreign or hostile file.
File read(const std::string& path);

// Helpers for float32 tensors. from_floats throws nothing; to_floats throws Error when the
// tensor is not F32.
Tensor from_floats(const std::vector<float>& values, std::vector<int64_t> shape);
std::vector<float> to_floats(const Tensor& tensor);

}  // namespace oddigit::safetensors
