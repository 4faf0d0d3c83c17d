// The synthetic data training makes from the normal digits alone: the digit head's
// non-digits and the encoder's corruption.
#include "train/synthetic.h"

#include <gtest/gtest.h>

#include <ATen/CPUGeneratorImpl.h>
#include <algorithm>
#include <cmath>

#include "model_impl.h"
#include "oddigit/error.h"
#include "oddigit/train.h"
#include "test_support.h"

namespace oddigit {
namespace {

struct LabelledTensors {
    torch::Tensor digits;  // [N, 1, 28, 28] in [-1, 1]
    torch::Tensor labels;  // [N] long
};

LabelledTensors test_batch(const ClassSet& classes, int64_t count) {
    const LabelledImages& test = test::mnist().test;
    ImageBatch images;
    std::vector<int64_t> labels;
    for (int64_t i = 0; i < test.images.size() && images.size() < count; ++i)
        if (classes.contains(test.labels[i])) {
            images.append(test.images.image(i));
            labels.push_back(test.labels[i]);
        }
    return {detail::to_tensor(images, 0, images.size(), torch::kCPU), torch::tensor(labels, torch::kLong)};
}

// MNIST's classes are the digits themselves; an image folder's "cat" is none (-1).
torch::Tensor non_digits(const LabelledTensors& batch, uint64_t seed,
                         const torch::Tensor& class_digits = torch::arange(10, torch::kLong)) {
    at::Generator random = at::detail::createCPUGenerator(seed);
    return detail::synthetic_non_digits(batch.digits, batch.labels, class_digits, random);
}

// Each non-digit is a changed digit of the batch: none is a digit of it unchanged, all stay
// in the image's range, and the same stream gives the same non-digits.
TEST(Synthetic, NonDigitsAreChangedDigitsOfTheBatch) {
    const LabelledTensors batch = test_batch(ClassSet::all(), 256);
    const uint64_t seed = test::training_seed(3);
    const torch::Tensor made = non_digits(batch, seed);
    ASSERT_EQ(made.dim(), 4);
    EXPECT_LE(made.size(0), batch.digits.size(0));
    // Some kinds are left out for some digits: most, not all, of a mixed batch come back.
    EXPECT_GT(made.size(0), batch.digits.size(0) / 2);
    EXPECT_GE(made.min().item<float>(), -1.0f);
    EXPECT_LE(made.max().item<float>(), 1.0f);
    for (int64_t i = 0; i < made.size(0); ++i) {
        const torch::Tensor distance = (batch.digits - made[i]).abs().flatten(1).amax(1);
        EXPECT_GT(distance.min().item<float>(), 0.5f) << "non-digit " << i << " is a digit of the batch";
    }
    EXPECT_TRUE(non_digits(batch, seed).equal(made));
    EXPECT_FALSE(non_digits(batch, seed + 1).equal(made));
}

// The two halves of a pair: each side squeezed to half the width.
bool is_pair_of(const torch::Tensor& made, const torch::Tensor& digits) {
    const torch::Tensor squeezed = torch::max_pool2d(digits, {1, 2}, {1, 2});
    const auto found = [&](const torch::Tensor& half) {
        return ((squeezed - half).abs().flatten(1).amax(1) < 1e-6).any().item<bool>();
    };
    return found(made.narrow(2, 0, kImageSide / 2)) && found(made.narrow(2, kImageSide / 2, kImageSide / 2));
}

// Turning or mirroring a 0 or an 8 gives a digit back: a batch of 0s makes only pairs of 0s
// side by side; a batch of 7s makes turned and mirrored 7s and pairs of them.
TEST(Synthetic, NoNonDigitGivesADigitBack) {
    const LabelledTensors zeros = test_batch(ClassSet::single(0), 128);
    const torch::Tensor zero_made = non_digits(zeros, 1);
    // Two of the six kinds are joins.
    EXPECT_GT(zero_made.size(0), 128 / 6);
    EXPECT_LT(zero_made.size(0), 128 / 2);
    for (int64_t i = 0; i < zero_made.size(0); ++i)
        EXPECT_TRUE(is_pair_of(zero_made[i], zeros.digits)) << "non-digit " << i << " of a batch of 0s is no pair";

    const LabelledTensors sevens = test_batch(ClassSet::single(7), 128);
    const torch::Tensor made = non_digits(sevens, 1);
    EXPECT_EQ(made.size(0), 128) << "no change of a 7 gives a digit back";
    const torch::Tensor reference = sevens.digits;
    const std::vector<torch::Tensor> changes = {reference.rot90(1, {2, 3}), reference.rot90(3, {2, 3}),
                                                reference.rot90(2, {2, 3}), reference.flip({3}), reference.flip({2})};
    for (int64_t i = 0; i < made.size(0); ++i) {
        bool found = is_pair_of(made[i], reference);
        for (const torch::Tensor& changed : changes)
            found = found || ((changed - made[i]).abs().flatten(1).amax(1) < 1e-6).any().item<bool>();
        EXPECT_TRUE(found) << "non-digit " << i << " of a batch of 7s is no turn, mirror or pair of them";
    }
}

// A class that is no digit (an image folder's) is never turned or mirrored, since which of its
// turns give it back is not known: the same 7s, taken as a class of their own, make joins only.
TEST(Synthetic, ClassesThatAreNoDigitMakeJoinsOnly) {
    const LabelledTensors sevens = test_batch(ClassSet::single(7), 128);
    const torch::Tensor made = non_digits(sevens, 1, torch::full({10}, -1, torch::kLong));
    EXPECT_GT(made.size(0), 128 / 6);
    EXPECT_LT(made.size(0), 128 / 2);
    for (int64_t i = 0; i < made.size(0); ++i)
        EXPECT_TRUE(is_pair_of(made[i], sevens.digits)) << "non-digit " << i << " is no pair of the class";
}

// Every one-class model's digit head learns non-digits: each training batch (64 digits of the
// one class, drawn with every seed tried) holds some, so the non-digit loss runs every step.
TEST(Synthetic, EveryOneClassBatchHasNonDigits) {
    for (int digit = 0; digit < 10; ++digit) {
        const LabelledTensors batch = test_batch(ClassSet::single(digit), TrainParams{}.batch_size);
        for (uint64_t seed = 1; seed <= 20; ++seed)
            EXPECT_GT(non_digits(batch, seed).size(0), 0) << "digit " << digit << ", seed " << seed;
    }
}

// Whether two images differ by more than the rounding of a trip to [-1, 1] and back.
bool differ(const float* first, const float* second) {
    return !std::equal(first, first + kImagePixels, second, [](float a, float b) { return std::abs(a - b) < 1e-6f; });
}

TEST(Synthetic, CorruptionAddsOrWipesAWindowOfTheNextDigit) {
    const ImageBatch digits = test::test_digits(ClassSet::all(), 400);
    const uint64_t seed = test::training_seed(5);
    const ImageBatch untouched = corrupted_digits(digits, 0, seed);
    ASSERT_EQ(untouched.size(), digits.size());
    for (int64_t i = 0; i < digits.size(); ++i) EXPECT_FALSE(differ(untouched.image(i), digits.image(i))) << i;
    const ImageBatch corrupted = corrupted_digits(digits, 1, seed);
    ASSERT_EQ(corrupted.size(), digits.size());
    EXPECT_EQ(corrupted_digits(digits, 1, seed).pixels, corrupted.pixels) << "the seed fixes the draws";
    EXPECT_NE(corrupted_digits(digits, 1, seed + 1).pixels, corrupted.pixels);

    int added = 0, wiped = 0;
    for (int64_t i = 0; i < digits.size(); ++i) {
        const float* before = digits.image(i);
        const float* after = corrupted.image(i);
        const float* next = digits.image((i + 1) % digits.size());
        int top = kImageSide, bottom = -1, left = kImageSide, right = -1;
        bool more = false, less = false;
        for (int p = 0; p < kImagePixels; ++p) {
            if (std::abs(after[p] - before[p]) < 1e-6f) continue;
            top = std::min(top, p / kImageSide), bottom = std::max(bottom, p / kImageSide);
            left = std::min(left, p % kImageSide), right = std::max(right, p % kImageSide);
            (after[p] > before[p] ? more : less) = true;
        }
        if (bottom < 0) continue;  // the window held no ink where it mattered
        EXPECT_FALSE(more && less) << "image " << i << " both gained and lost ink";
        EXPECT_LE(bottom - top + 1, 14) << i;
        EXPECT_LE(right - left + 1, 14) << i;
        EXPECT_GE(std::min({top, left}), 2) << i;
        EXPECT_LE(std::max({bottom, right}), kImageSide - 3) << i;
        // Every changed pixel is explained by one window of the next digit, moved by one shift:
        // added ink is the brighter of the two, wiped ink is the digit times one less the fragment.
        bool explained = false;
        for (int dy = -kImageSide + 1; dy < kImageSide && !explained; ++dy)
            for (int dx = -kImageSide + 1; dx < kImageSide && !explained; ++dx) {
                explained = true;
                for (int p = 0; p < kImagePixels && explained; ++p) {
                    if (std::abs(after[p] - before[p]) < 1e-6f) continue;
                    const int y = p / kImageSide + dy, x = p % kImageSide + dx;
                    if (y < 0 || y >= kImageSide || x < 0 || x >= kImageSide) {
                        explained = false;
                        break;
                    }
                    const float fragment = next[y * kImageSide + x];
                    const float expected = more ? std::max(before[p], fragment) : before[p] * (1 - fragment);
                    explained = std::abs(after[p] - expected) < 1e-5f;
                }
            }
        EXPECT_TRUE(explained) << "image " << i << ": no window of the next digit explains the change";
        added += more, wiped += less;
    }
    // Half of the images get each kind; a window that misses the ink changes nothing.
    test::print_measured("images given ink, of 400", added);
    test::print_measured("images wiped, of 400", wiped);
    EXPECT_GT(added, 100);
    EXPECT_GT(wiped, 100);
    const ImageBatch some = corrupted_digits(digits, 0.5f, seed);
    int changed = 0;
    for (int64_t i = 0; i < digits.size(); ++i)
        changed += differ(some.image(i), digits.image(i));
    test::print_measured("images changed at share 0.5, of 400", changed);
    EXPECT_GT(changed, 100);
    EXPECT_LT(changed, 260);
    EXPECT_THROW(corrupted_digits(digits, -0.1f, seed), Error);
}

}  // namespace
}  // namespace oddigit
