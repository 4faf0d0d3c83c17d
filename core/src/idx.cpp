#include "oddigit/idx.h"

#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "atomic_file.h"
#include "oddigit/error.h"

namespace oddigit {

int64_t IdxArray::element_count() const {
    int64_t count = 1;
    for (int64_t d : dims) count *= d;
    return count;
}

namespace {

constexpr int kMaxDims = 8;
constexpr size_t kReadChunk = 1 << 20;
// The payload buffer starts this small and doubles as data arrives, so a header that
// promises gigabytes over a few bytes of data costs a few kilobytes.
constexpr size_t kFirstPayloadChunk = 1 << 16;

[[noreturn]] void fail(const std::string& path, const std::string& what) {
    throw Error("cannot read '" + path + "': " + what);
}

// gzread reads plain files too, so one reader serves both kinds.
struct GzCloser {
    void operator()(gzFile_s* file) const { gzclose(file); }
};
using GzHandle = std::unique_ptr<gzFile_s, GzCloser>;

size_t read_some(gzFile file, void* buffer, size_t length, const std::string& path) {
    size_t total = 0;
    while (total < length) {
        const unsigned want = static_cast<unsigned>(std::min(length - total, kReadChunk));
        const int n = gzread(file, static_cast<char*>(buffer) + total, want);
        if (n < 0) {
            int code = 0;
            const char* message = gzerror(file, &code);
            fail(path, std::string("decompression failed: ") + (message ? message : "unknown error"));
        }
        if (n == 0) break;
        total += static_cast<size_t>(n);
    }
    return total;
}

uint32_t big_endian_u32(const unsigned char* bytes) {
    return (uint32_t{bytes[0]} << 24) | (uint32_t{bytes[1]} << 16) | (uint32_t{bytes[2]} << 8) | bytes[3];
}

void put_big_endian_u32(std::vector<unsigned char>& out, uint32_t value) {
    out.push_back(static_cast<unsigned char>(value >> 24));
    out.push_back(static_cast<unsigned char>(value >> 16));
    out.push_back(static_cast<unsigned char>(value >> 8));
    out.push_back(static_cast<unsigned char>(value));
}

// Reads exactly `count` bytes, growing the buffer as data arrives.
std::vector<uint8_t> read_payload(gzFile file, int64_t count, const std::string& path) {
    std::vector<uint8_t> data;
    while (static_cast<int64_t>(data.size()) < count) {
        const size_t grow = std::max(kFirstPayloadChunk, data.size());
        const size_t want = static_cast<size_t>(std::min<int64_t>(count - data.size(), grow));
        const size_t old_size = data.size();
        data.resize(old_size + want);
        const size_t got = read_some(file, data.data() + old_size, want, path);
        if (got < want)
            fail(path, "truncated: the header promises " + std::to_string(count) +
                           " bytes of data, the file has " + std::to_string(old_size + got));
    }
    unsigned char extra = 0;
    if (read_some(file, &extra, 1, path) != 0)
        fail(path, "the file is longer than its header says (" + std::to_string(count) + " bytes of data)");
    return data;
}

// Reads the header from an open file: the element type and dimensions, data not touched.
IdxArray read_header(gzFile file, const std::string& path) {
    unsigned char magic[4];
    if (read_some(file, magic, 4, path) != 4) fail(path, "too short for an IDX header");
    if (magic[0] != 0 || magic[1] != 0)
        fail(path, "not an IDX file (the magic number does not start with two zero bytes)");
    IdxArray array;
    if (magic[2] == static_cast<unsigned char>(IdxType::UInt8))
        array.type = IdxType::UInt8;
    else if (magic[2] == static_cast<unsigned char>(IdxType::Float32))
        array.type = IdxType::Float32;
    else
        fail(path, "unsupported IDX element type 0x" + std::to_string(magic[2]) +
                       " (supported: unsigned byte 0x08, float32 0x0D)");
    const int rank = magic[3];
    if (rank < 1 || rank > kMaxDims) fail(path, "unsupported number of dimensions " + std::to_string(rank));

    unsigned char dim_bytes[4 * kMaxDims];
    if (read_some(file, dim_bytes, 4u * rank, path) != 4u * rank) fail(path, "truncated IDX header");
    int64_t elements = 1;
    for (int i = 0; i < rank; ++i) {
        const int64_t dim = big_endian_u32(dim_bytes + 4 * i);
        if (dim == 0) fail(path, "dimension " + std::to_string(i) + " is zero");
        if (dim > kIdxMaxElements || elements * dim > kIdxMaxElements)
            fail(path, "too large: more than " + std::to_string(kIdxMaxElements) + " elements");
        elements *= dim;
        array.dims.push_back(dim);
    }
    return array;
}

GzHandle open_idx(const std::string& path) {
    GzHandle file(gzopen(path.c_str(), "rb"));
    if (!file) fail(path, std::strerror(errno ? errno : ENOENT));
    gzbuffer(file.get(), 1 << 17);
    return file;
}
}  // namespace

IdxArray read_idx_header(const std::string& path) { return read_header(open_idx(path).get(), path); }

IdxArray read_idx(const std::string& path) {
    GzHandle file = open_idx(path);
    IdxArray array = read_header(file.get(), path);
    const int64_t elements = array.element_count();
    const int64_t element_size = array.type == IdxType::UInt8 ? 1 : 4;
    std::vector<uint8_t> payload = read_payload(file.get(), elements * element_size, path);
    if (array.type == IdxType::UInt8) {
        array.u8 = std::move(payload);
    } else {
        array.f32.resize(elements);
        for (int64_t i = 0; i < elements; ++i) {
            const uint32_t bits = big_endian_u32(payload.data() + 4 * i);
            std::memcpy(&array.f32[i], &bits, 4);
        }
    }
    return array;
}

void write_idx(const std::string& path, const IdxArray& array) {
    if (array.dims.empty() || array.dims.size() > kMaxDims)
        throw Error("cannot write '" + path + "': an IDX array needs 1 to 8 dimensions");
    const int64_t elements = array.element_count();
    const size_t stored = array.type == IdxType::UInt8 ? array.u8.size() : array.f32.size();
    if (static_cast<int64_t>(stored) != elements)
        throw Error("cannot write '" + path + "': the data does not match the dimensions");

    std::vector<unsigned char> bytes = {0, 0, static_cast<unsigned char>(array.type),
                                        static_cast<unsigned char>(array.dims.size())};
    for (int64_t dim : array.dims) put_big_endian_u32(bytes, static_cast<uint32_t>(dim));
    if (array.type == IdxType::UInt8) {
        bytes.insert(bytes.end(), array.u8.begin(), array.u8.end());
    } else {
        bytes.reserve(bytes.size() + 4 * array.f32.size());
        for (float value : array.f32) {
            uint32_t bits;
            std::memcpy(&bits, &value, 4);
            put_big_endian_u32(bytes, bits);
        }
    }
    write_file_atomically(path, bytes, detail::ends_with(path, ".gz"));
}

void check_image_shape(const IdxArray& array, const std::string& path) {
    if (array.dims.size() != 3 || array.dims[1] != kImageSide || array.dims[2] != kImageSide)
        throw Error("cannot read '" + path + "': expected N x 28 x 28 images");
}

ImageBatch read_idx_images(const std::string& path) {
    IdxArray array = read_idx(path);
    check_image_shape(array, path);
    ImageBatch batch;
    batch.pixels.resize(array.element_count());
    if (array.type == IdxType::UInt8) {
        for (size_t i = 0; i < array.u8.size(); ++i) batch.pixels[i] = array.u8[i] / 255.0f;
    } else {
        batch.pixels = std::move(array.f32);
    }
    return batch;
}

void write_idx_images(const std::string& path, const ImageBatch& images) {
    IdxArray array;
    array.type = IdxType::Float32;
    array.dims = {images.size(), kImageSide, kImageSide};
    array.f32 = images.pixels;
    write_idx(path, array);
}

}  // namespace oddigit
