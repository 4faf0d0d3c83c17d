#include "oddigit/class_set.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "oddigit/error.h"
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

TEST(ClassSet, CarriesTheNamesOfItsClasses) {
    const std::vector<std::string> names = {"cat", "dog", "eel"};
    const ClassSet pets = ClassSet::parse_names("eel,cat", names);
    EXPECT_EQ(pets.class_names(), names);
    EXPECT_EQ(pets.to_string(), "0,2");
    EXPECT_EQ(pets.names(), "cat,eel");
    EXPECT_EQ(pets.name(1), "dog");
    EXPECT_FALSE(pets.names_digits());
    EXPECT_EQ(ClassSet::parse_names("all", names).names(), "all");
    EXPECT_TRUE(ClassSet::parse_names("all", names).is_all());

    // Only one of the same named classes; the same indices under other names are another set.
    const ClassSet dogs = pets.only(1);
    EXPECT_EQ(dogs.names(), "dog");
    EXPECT_EQ(dogs.class_names(), names);
    EXPECT_NE(ClassSet::parse("0,2", 3), pets);
    EXPECT_EQ(ClassSet::parse("0,2", 3).named(names), pets);
    EXPECT_THROW(ClassSet::parse("0,2", 4).named(names), Error);
    EXPECT_THROW(pets.only(3), Error);

    // Without names: MNIST's digits, named by index.
    EXPECT_EQ(ClassSet::parse_names("3,7", {}), ClassSet::parse("3,7"));
    EXPECT_EQ(ClassSet::parse("3,7").names(), "3,7");
    EXPECT_EQ(ClassSet::single(4).name(4), "4");
    EXPECT_TRUE(ClassSet::single(4).names_digits());
    EXPECT_TRUE(ClassSet::parse_names("7", {"1", "7"}).names_digits());
    try {
        ClassSet::parse_names("cat,fox", names);
        FAIL() << "an unknown name parsed";
    } catch (const Error& error) {
        EXPECT_NE(std::string(error.what()).find("no class 'fox' here; the classes are cat, dog, eel"), std::string::npos)
            << error.what();
    }
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

}  // namespace
}  // namespace oddigit
