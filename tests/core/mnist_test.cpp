#include "oddigit/mnist.h"

#include <gtest/gtest.h>

#include <chrono>

#include "oddigit/error.h"
#include "oddigit/idx.h"
#include "test_support.h"

namespace oddigit {
namespace {

TEST(LoadMnist, NamesTheMissingFile) {
    try {
        load_mnist(test::scratch_dir());
        FAIL() << "an empty folder loaded";
    } catch (const Error& error) {
        EXPECT_NE(std::string(error.what()).find("train-images-idx3-ubyte"), std::string::npos);
    }
}

// The quick check reads headers only: it passes on the real set at once, and catches what
// the app must not load: a missing file, labels that do not match the images in number.
TEST(CheckMnist, PassesTheRealSetQuicklyAndCatchesMismatchedFiles) {
    const auto start = std::chrono::steady_clock::now();
    EXPECT_NO_THROW(check_mnist(default_mnist_dir()));
    EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 0.1);

    const std::string dir = test::scratch_dir();
    EXPECT_THROW(check_mnist(dir), Error);
    const LabelledImages& test = test::mnist().test;
    for (const std::string prefix : {"train", "t10k"}) {
        write_idx(dir + "/" + prefix + "-images-idx3-ubyte.gz", IdxArray{IdxType::UInt8, {3, 28, 28}, std::vector<uint8_t>(3 * 784)});
        write_idx(dir + "/" + prefix + "-labels-idx1-ubyte", IdxArray{IdxType::UInt8, {3}, {test.labels[0], 1, 2}});
    }
    EXPECT_NO_THROW(check_mnist(dir));
    write_idx(dir + "/t10k-labels-idx1-ubyte", IdxArray{IdxType::UInt8, {2}, {1, 2}});
    try {
        check_mnist(dir);
        FAIL() << "2 labels for 3 images passed";
    } catch (const Error& error) {
        EXPECT_NE(std::string(error.what()).find("2 labels for 3 images"), std::string::npos) << error.what();
    }
}

}  // namespace
}  // namespace oddigit
