#include "oddigit/safetensors.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "atomic_file.h"
#include "oddigit/error.h"

namespace oddigit::safetensors {

namespace {

using nlohmann::json;

// The header is JSON text; anything larger than this is not a model of ours.
constexpr uint64_t kMaxHeaderBytes = 100u << 20;
constexpr int kMaxRank = 8;

int64_t dtype_size(DType dtype) {
    switch (dtype) {
        case DType::F32: return 4;
        case DType::F64: return 8;
        case DType::I64: return 8;
        case DType::U8: return 1;
    }
    return 0;
}

const char* dtype_name(DType dtype) {
    switch (dtype) {
        case DType::F32: return "F32";
        case DType::F64: return "F64";
        case DType::I64: return "I64";
        case DType::U8: return "U8";
    }
    return "?";
}

bool parse_dtype(const std::string& name, DType& dtype) {
    for (DType candidate : {DType::F32, DType::F64, DType::I64, DType::U8}) {
        if (name == dtype_name(candidate)) {
            dtype = candidate;
            return true;
        }
    }
    return false;
}

[[noreturn]] void fail(const std::string& path, const std::string& what) {
    throw Error("cannot read '" + path + "' as safetensors: " + what);
}

// A tensor's bytes within the data section: [first, second).
using Extent = std::pair<uint64_t, uint64_t>;

// Reads the 8-byte little-endian header length and the JSON header after it; the length is
// checked against the file before any of the header is read, so a damaged file cannot ask for
// gigabytes.
json read_header(std::ifstream& stream, const std::string& path, int64_t file_size, uint64_t& header_length) {
    unsigned char length_bytes[8];
    stream.read(reinterpret_cast<char*>(length_bytes), 8);
    header_length = 0;
    for (int i = 0; i < 8; ++i) header_length |= uint64_t{length_bytes[i]} << (8 * i);
    if (header_length > kMaxHeaderBytes || header_length > static_cast<uint64_t>(file_size - 8))
        fail(path, "the header length " + std::to_string(header_length) + " does not fit the file of " +
                       std::to_string(file_size) + " bytes (truncated or not safetensors)");

    std::string header_text(header_length, '\0');
    stream.read(header_text.data(), static_cast<std::streamsize>(header_length));
    json header;
    try {
        header = json::parse(header_text);
    } catch (const json::exception& error) {
        fail(path, std::string("the header is not valid JSON (") + error.what() + ")");
    }
    if (!header.is_object()) fail(path, "the header is not a JSON object");
    return header;
}

// Fills tensor's dtype and shape from its header entry and returns where its bytes lie, once
// the entry is known to be well formed and its extent to fit both the data and the shape.
Extent parse_tensor_entry(const std::string& path, const std::string& name, const json& entry, int64_t data_size,
                          Tensor& tensor) {
    const std::string where = "tensor '" + name + "': ";
    if (!entry.is_object() || !entry.contains("dtype") || !entry.contains("shape") ||
        !entry.contains("data_offsets"))
        fail(path, where + "needs dtype, shape and data_offsets");
    const json& dtype = entry["dtype"];
    if (!dtype.is_string() || !parse_dtype(dtype.get<std::string>(), tensor.dtype))
        fail(path, where + "unsupported dtype " + dtype.dump() + " (supported: F32, F64, I64, U8)");
    const json& shape = entry["shape"];
    if (!shape.is_array() || shape.size() > kMaxRank) fail(path, where + "bad shape " + shape.dump());
    int64_t elements = 1;
    for (const json& dim : shape) {
        if (!dim.is_number_unsigned() || dim.get<uint64_t>() > static_cast<uint64_t>(kMaxFileBytes))
            fail(path, where + "bad shape " + shape.dump());
        tensor.shape.push_back(dim.get<int64_t>());
        elements *= tensor.shape.back();
        if (elements > kMaxFileBytes) fail(path, where + "shape " + shape.dump() + " is too large");
    }
    const json& offsets = entry["data_offsets"];
    if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
        !offsets[1].is_number_unsigned())
        fail(path, where + "bad data_offsets " + offsets.dump());
    const uint64_t begin = offsets[0].get<uint64_t>(), end = offsets[1].get<uint64_t>();
    if (begin > end || end > static_cast<uint64_t>(data_size))
        fail(path, where + "data_offsets " + offsets.dump() + " lie outside the " + std::to_string(data_size) +
                       " data bytes (truncated file?)");
    if (static_cast<int64_t>(end - begin) != elements * dtype_size(tensor.dtype))
        fail(path, where + "data_offsets " + offsets.dump() + " do not match shape and dtype");
    return {begin, end};
}

// The tensors must tile the data section exactly, in some order: a gap or an overlap means a
// damaged or hand-made file whose bytes cannot be trusted. Sorts placed by extent.
void check_tiling(const std::string& path, std::vector<std::pair<std::string, Extent>>& placed, int64_t data_size) {
    std::sort(placed.begin(), placed.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
    uint64_t expected_begin = 0;
    for (const auto& [name, extent] : placed) {
        if (extent.first != expected_begin)
            fail(path, "tensor '" + name + "' does not start where the previous one ends (gap or overlap)");
        expected_begin = extent.second;
    }
    if (expected_begin != static_cast<uint64_t>(data_size))
        fail(path, "the data section has " + std::to_string(data_size) + " bytes, the tensors cover " +
                       std::to_string(expected_begin));
}

}  // namespace

int64_t Tensor::element_count() const {
    int64_t count = 1;
    for (int64_t dim : shape) count *= dim;
    return count;
}

void write(const std::string& path, const File& file) {
    json header = json::object();
    if (!file.metadata.empty()) header["__metadata__"] = file.metadata;
    uint64_t offset = 0;
    for (const auto& [name, tensor] : file.tensors) {
        if (name == "__metadata__") throw Error("cannot write '" + path + "': '__metadata__' is not a tensor name");
        const uint64_t size = tensor.bytes.size();
        if (static_cast<int64_t>(size) != tensor.element_count() * dtype_size(tensor.dtype))
            throw Error("cannot write '" + path + "': tensor '" + name + "' has " + std::to_string(size) +
                        " bytes, its shape and dtype need " +
                        std::to_string(tensor.element_count() * dtype_size(tensor.dtype)));
        header[name] = {{"dtype", dtype_name(tensor.dtype)}, {"shape", tensor.shape},
                        {"data_offsets", {offset, offset + size}}};
        offset += size;
    }
    std::string header_text = header.dump();
    // Pad with spaces so the data starts 8-byte aligned, as the reference writer does.
    header_text.append((8 - header_text.size() % 8) % 8, ' ');

    std::vector<unsigned char> bytes;
    bytes.reserve(8 + header_text.size() + offset);
    const uint64_t header_length = header_text.size();
    for (int i = 0; i < 8; ++i) bytes.push_back(static_cast<unsigned char>(header_length >> (8 * i)));
    bytes.insert(bytes.end(), header_text.begin(), header_text.end());
    for (const auto& [name, tensor] : file.tensors) bytes.insert(bytes.end(), tensor.bytes.begin(), tensor.bytes.end());
    write_file_atomically(path, bytes);
}

File read(const std::string& path) {
    std::ifstream stream(path, std::ios::binary | std::ios::ate);
    if (!stream) fail(path, "cannot open the file");
    const int64_t file_size = static_cast<int64_t>(stream.tellg());
    if (file_size < 8) fail(path, "too short (" + std::to_string(file_size) + " bytes)");
    if (file_size > kMaxFileBytes) fail(path, "larger than " + std::to_string(kMaxFileBytes) + " bytes");
    stream.seekg(0);

    uint64_t header_length = 0;
    const json header = read_header(stream, path, file_size, header_length);
    const int64_t data_size = file_size - 8 - static_cast<int64_t>(header_length);
    File file;
    std::vector<std::pair<std::string, Extent>> placed;
    for (const auto& [name, entry] : header.items()) {
        if (name == "__metadata__") {
            if (!entry.is_object()) fail(path, "__metadata__ is not an object");
            for (const auto& [key, value] : entry.items()) {
                if (!value.is_string()) fail(path, "metadata '" + key + "' is not a string");
                file.metadata[key] = value.get<std::string>();
            }
            continue;
        }
        Tensor tensor;
        placed.push_back({name, parse_tensor_entry(path, name, entry, data_size, tensor)});
        file.tensors.emplace(name, std::move(tensor));
    }
    check_tiling(path, placed, data_size);

    std::vector<unsigned char> data(static_cast<size_t>(data_size));
    stream.read(reinterpret_cast<char*>(data.data()), data_size);
    if (stream.gcount() != data_size) fail(path, "the file changed while it was read");
    for (const auto& [name, extent] : placed)
        file.tensors[name].bytes.assign(data.begin() + extent.first, data.begin() + extent.second);
    return file;
}

Tensor from_floats(const std::vector<float>& values, std::vector<int64_t> shape) {
    Tensor tensor;
    tensor.dtype = DType::F32;
    tensor.shape = std::move(shape);
    const auto* begin = reinterpret_cast<const unsigned char*>(values.data());
    tensor.bytes.assign(begin, begin + values.size() * sizeof(float));
    return tensor;
}

std::vector<float> to_floats(const Tensor& tensor) {
    if (tensor.dtype != DType::F32) throw Error("expected a float32 tensor");
    std::vector<float> values(tensor.bytes.size() / sizeof(float));
    // memcpy must not see the null data() of an empty vector, even for zero bytes.
    if (!values.empty()) std::memcpy(values.data(), tensor.bytes.data(), values.size() * sizeof(float));
    return values;
}

}  // namespace oddigit::safetensors
