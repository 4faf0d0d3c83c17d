#include "oddigit/mnist.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <set>

#include "oddigit/error.h"
#include "oddigit/idx.h"
#include "test_support.h"

namespace oddigit {
namespace {

TEST(ClassSet, ParsesTheCommandLineForms) {
    EXPECT_TRUE(ClassSet::parse("all").is_all());
    EXPECT_EQ(ClassSet::parse("3").to_string(), "3");
    EXPECT_EQ(ClassSet::parse("5,0,2").to_string(), "0,2,5");
    EXPECT_EQ(ClassSet::parse("0-3,7").to_string(), "0,1,2,3,7");
    EXPECT_EQ(ClassSet::parse("0-9").to_string(), "all");
    for (const std::string bad : {"", "10", "a", "1,,2", "3-1", "1,", "-1", "1 2"})
        EXPECT_THROW(ClassSet::parse(bad), Error) << bad;
}

TEST(SplitNormal, KeepsOnlyNormalClassesAndHoldsOutADisjointValidationSet) {
    const MnistSet& mnist = test::mnist();
    const ClassSet normal = ClassSet::parse("3,7");
    const NormalSplit split = split_normal(mnist.train, normal, 0.1, 42);
    int64_t expected = 0;
    for (uint8_t label : mnist.train.labels) expected += normal.contains(label);
    EXPECT_EQ(split.train.images.size() + split.validation.size(), expected);
    EXPECT_NEAR(static_cast<double>(split.validation.size()) / expected, 0.1, 0.001);

    // Every image is a 3 or a 7, and no image is on both sides.
    std::set<std::vector<float>> train_images;
    for (int64_t i = 0; i < split.train.images.size(); ++i)
        train_images.insert(std::vector<float>(split.train.images.image(i), split.train.images.image(i) + kImagePixels));
    for (int64_t i = 0; i < split.validation.size(); ++i)
        EXPECT_EQ(train_images.count(std::vector<float>(split.validation.image(i), split.validation.image(i) + kImagePixels)), 0u);

    // The same seed gives the same split; another seed a different one.
    EXPECT_EQ(split_normal(mnist.train, normal, 0.1, 42).validation.pixels, split.validation.pixels);
    EXPECT_NE(split_normal(mnist.train, normal, 0.1, 43).validation.pixels, split.validation.pixels);
}

TEST(ImagesOf, KeepsTheChosenClassesInOrder) {
    const LabelledImages& test = test::mnist().test;
    const ImageBatch threes = images_of(test, ClassSet::single(3));
    std::vector<int64_t> expected;
    for (int64_t i = 0; i < test.images.size(); ++i)
        if (test.labels[i] == 3) expected.push_back(i);
    ASSERT_EQ(threes.size(), static_cast<int64_t>(expected.size()));
    for (int64_t k : {int64_t{0}, threes.size() - 1})
        EXPECT_TRUE(std::equal(threes.image(k), threes.image(k) + kImagePixels, test.images.image(expected[k])));
    EXPECT_TRUE(images_of(test, ClassSet()).empty());
}

TEST(SplitNormal, RejectsAnEmptySide) {
    LabelledImages one;
    one.images.pixels.assign(kImagePixels, 0.0f);
    one.labels = {4};
    EXPECT_THROW(split_normal(one, ClassSet::single(4), 0.1, 1), Error);
    EXPECT_THROW(split_normal(test::mnist().test, ClassSet::single(4), 0.0, 1), Error);
}

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
