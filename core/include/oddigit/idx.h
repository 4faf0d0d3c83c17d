#pragma once
// IDX files (the MNIST container), plain or gzip-compressed (".gz").
// Supported element types: unsigned byte (0x08) and float32 (0x0D), big-endian as the format says.
#include <cstdint>
#include <string>
#include <vector>

#include "oddigit/image.h"

namespace oddigit {

enum class IdxType : uint8_t { UInt8 = 0x08, Float32 = 0x0D };

struct IdxArray {
    IdxType type = IdxType::UInt8;
    std::vector<int64_t> dims;
    std::vector<uint8_t> u8;   // filled when type == UInt8
    std::vector<float> f32;    // filled when type == Float32

    int64_t element_count() const;
};

// Largest element count read_idx accepts (the MNIST training images are 47 million).
constexpr int64_t kIdxMaxElements = int64_t{1} << 31;

// Reads an IDX file; a name ending in ".gz" is decompressed on the fly.
// Returns the array. Throws Error naming the file when it cannot be opened, the magic or
// element type is wrong, a dimension is zero or the total is over kIdxMaxElements, or
// the data is shorter or longer than the header says. Memory grows only with data
// actually read, so a hostile header cannot force a huge allocation.
IdxArray read_idx(const std::string& path);

// The element type and dimensions in an IDX file's header (u8 and f32 left empty), without
// reading the data. Throws Error as read_idx does for a file that cannot be opened or whose
// header is bad; damage past the header shows only when the file is read.
IdxArray read_idx_header(const std::string& path);

// Writes an IDX file atomically (temporary file, then rename); gzip when the name ends in ".gz".
// Throws Error when the array is inconsistent or the file cannot be written.
void write_idx(const std::string& path, const IdxArray& array);

// Throws Error naming path unless the array (a header will do) holds N x 28 x 28 images.
void check_image_shape(const IdxArray& array, const std::string& path);

// Reads an N x 28 x 28 uint8 or float32 IDX file as images in [0, 1].
// Throws Error as read_idx does, and when the shape is not N x 28 x 28.
ImageBatch read_idx_images(const std::string& path);

// Writes N x 28 x 28 float32 (e.g. heatmaps). Throws Error as write_idx does.
void write_idx_images(const std::string& path, const ImageBatch& images);

}  // namespace oddigit
