#include "oddigit/idx.h"

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <numeric>

#include "oddigit/error.h"
#include "test_support.h"

namespace oddigit {
namespace {

void write_bytes(const std::string& path, const std::vector<unsigned char>& bytes) {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

std::vector<unsigned char> read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string error_of(const std::string& path) {
    try {
        read_idx(path);
    } catch (const Error& error) {
        return error.what();
    }
    return "";
}

IdxArray small_u8() {
    IdxArray array;
    array.dims = {3, 4, 5};
    array.u8.resize(60);
    std::iota(array.u8.begin(), array.u8.end(), 7);
    return array;
}

TEST(Idx, RoundTripsBytesPlainAndGzip) {
    const std::string dir = test::scratch_dir();
    for (const std::string name : {"a.idx", "a.idx.gz"}) {
        const IdxArray written = small_u8();
        write_idx(dir + "/" + name, written);
        const IdxArray read = read_idx(dir + "/" + name);
        EXPECT_EQ(read.type, IdxType::UInt8);
        EXPECT_EQ(read.dims, written.dims);
        EXPECT_EQ(read.u8, written.u8);
    }
    // The .gz file really is compressed: gzip's magic bytes.
    const auto gz = read_bytes(dir + "/a.idx.gz");
    ASSERT_GE(gz.size(), 2u);
    EXPECT_EQ(gz[0], 0x1f);
    EXPECT_EQ(gz[1], 0x8b);
}

TEST(Idx, RoundTripsFloat32) {
    const std::string path = test::scratch_dir() + "/f.idx";
    IdxArray written;
    written.type = IdxType::Float32;
    written.dims = {2, 3};
    written.f32 = {0.0f, -1.5f, 3.25f, 1e-7f, 1e7f, 0.125f};
    write_idx(path, written);
    const IdxArray read = read_idx(path);
    EXPECT_EQ(read.type, IdxType::Float32);
    EXPECT_EQ(read.f32, written.f32);
    // Big-endian on disk: header 00 00 0D 02, then dims 2 and 3.
    const auto bytes = read_bytes(path);
    EXPECT_EQ(bytes[2], 0x0D);
    EXPECT_EQ(bytes[3], 2);
    EXPECT_EQ(bytes.size(), 4u + 8u + 24u);
}

TEST(Idx, RejectsTruncatedData) {
    const std::string path = test::scratch_dir() + "/t.idx";
    write_idx(path, small_u8());
    auto bytes = read_bytes(path);
    bytes.resize(bytes.size() - 5);
    write_bytes(path, bytes);
    EXPECT_NE(error_of(path).find("truncated"), std::string::npos) << error_of(path);
}

TEST(Idx, RejectsTrailingData) {
    const std::string path = test::scratch_dir() + "/t.idx";
    write_idx(path, small_u8());
    auto bytes = read_bytes(path);
    bytes.push_back(0);
    write_bytes(path, bytes);
    EXPECT_NE(error_of(path).find("longer than its header"), std::string::npos) << error_of(path);
}

TEST(Idx, RejectsGarbageAndBadHeaders) {
    const std::string dir = test::scratch_dir();
    write_bytes(dir + "/text", {'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd'});
    EXPECT_NE(error_of(dir + "/text").find("not an IDX file"), std::string::npos);
    write_bytes(dir + "/short", {0, 0});
    EXPECT_NE(error_of(dir + "/short").find("too short"), std::string::npos);
    write_bytes(dir + "/type", {0, 0, 0x0B, 1, 0, 0, 0, 1, 0, 0});
    EXPECT_NE(error_of(dir + "/type").find("element type"), std::string::npos);
    write_bytes(dir + "/rank", {0, 0, 0x08, 0});
    EXPECT_NE(error_of(dir + "/rank").find("dimensions"), std::string::npos);
    write_bytes(dir + "/zero", {0, 0, 0x08, 2, 0, 0, 0, 0, 0, 0, 0, 5});
    EXPECT_NE(error_of(dir + "/zero").find("zero"), std::string::npos);
    write_bytes(dir + "/dims", {0, 0, 0x08, 3, 0, 0, 0, 1});
    EXPECT_NE(error_of(dir + "/dims").find("truncated IDX header"), std::string::npos);
    EXPECT_NE(error_of(dir + "/missing").find("cannot read"), std::string::npos);
}

TEST(Idx, OversizedHeaderFailsFastWithoutAllocating) {
    const std::string dir = test::scratch_dir();
    // 65535^3 elements: over the limit before anything is read.
    write_bytes(dir + "/huge", {0, 0, 0x08, 3, 0, 0, 0xFF, 0xFF, 0, 0, 0xFF, 0xFF, 0, 0, 0xFF, 0xFF, 1, 2, 3});
    EXPECT_NE(error_of(dir + "/huge").find("too large"), std::string::npos);
    // 1.6 billion promised elements (under the limit) with 3 bytes present: the reader
    // stops at the end of the data instead of allocating 1.6 GB first.
    write_bytes(dir + "/liar", {0, 0, 0x08, 2, 0, 0, 0x9C, 0x40, 0, 0, 0x9C, 0x40, 1, 2, 3});
    const auto start = std::chrono::steady_clock::now();
    EXPECT_NE(error_of(dir + "/liar").find("truncated"), std::string::npos);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
}

TEST(Idx, RejectsCorruptGzip) {
    const std::string path = test::scratch_dir() + "/c.idx.gz";
    write_idx(path, small_u8());
    auto bytes = read_bytes(path);
    for (size_t i = 12; i < bytes.size() - 8; ++i) bytes[i] ^= 0x5A;
    write_bytes(path, bytes);
    EXPECT_FALSE(error_of(path).empty());
}

TEST(Idx, ReadsRealMnist) {
    const MnistSet& mnist = test::mnist();
    ASSERT_EQ(mnist.train.images.size(), 60000);
    ASSERT_EQ(mnist.test.images.size(), 10000);
    EXPECT_EQ(mnist.train.labels.size(), 60000u);
    EXPECT_EQ(mnist.train.labels[0], 5);  // MNIST's famous first "5"
    EXPECT_EQ(mnist.test.labels[0], 7);
    const auto [low, high] = std::minmax_element(mnist.test.images.pixels.begin(), mnist.test.images.pixels.end());
    EXPECT_EQ(*low, 0.0f);
    EXPECT_EQ(*high, 1.0f);
    std::vector<int> counts(10);
    for (uint8_t label : mnist.test.labels) ++counts[label];
    EXPECT_EQ(counts[1], 1135);  // the test set's class sizes are documented
    EXPECT_EQ(counts[5], 892);
}

TEST(Idx, GzipCopyOfMnistReadsTheSame) {
    const std::string path = test::scratch_dir() + "/t10k-labels-idx1-ubyte.gz";
    IdxArray labels;
    labels.dims = {10000};
    labels.u8 = test::mnist().test.labels;
    write_idx(path, labels);
    EXPECT_EQ(read_idx(path).u8, test::mnist().test.labels);
}

TEST(Idx, ImagesRoundTripAsFloat) {
    const std::string path = test::scratch_dir() + "/images.idx";
    const ImageBatch images = test::test_digits(ClassSet::all(), 5);
    write_idx_images(path, images);
    EXPECT_EQ(read_idx_images(path).pixels, images.pixels);
    IdxArray wrong;
    wrong.dims = {2, 5};
    wrong.u8.assign(10, 0);
    write_idx(path, wrong);
    EXPECT_THROW(read_idx_images(path), Error);
}

}  // namespace
}  // namespace oddigit
