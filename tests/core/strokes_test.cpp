#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "oddigit/strokes.h"

namespace oddigit {
namespace {

// The second generator draws arcs, hooks and loops of varied width and ink, as promised:
// its ink stays within 0.5-1, it covers what its mask says, it only ever brightens, and it
// is a function of its seed.
TEST(Strokes, VariedStrokesHaveTheirWidthInkAndMask) {
    std::set<int> inked_counts;
    for (uint64_t seed = 1; seed <= 200; ++seed) {
        Image28 blank{};
        const Image28 mask = draw_varied_stroke(blank.data(), seed);
        const float brightest = *std::max_element(blank.begin(), blank.end());
        EXPECT_GE(brightest, 0.5f) << seed;
        EXPECT_LE(brightest, 1.0f) << seed;
        int masked = 0;
        for (int p = 0; p < kImagePixels; ++p) {
            masked += mask[p] > 0;
            // A masked pixel has at least half the pen's ink.
            if (mask[p] > 0) EXPECT_GE(blank[p], 0.5f * 0.5f) << seed;
        }
        EXPECT_GT(masked, 4) << seed;
        EXPECT_LT(masked, kImagePixels / 3) << seed;
        inked_counts.insert(masked);

        Image28 again{};
        draw_varied_stroke(again.data(), seed);
        EXPECT_EQ(again, blank) << seed;

        Image28 bright;
        bright.fill(1.0f);
        draw_varied_stroke(bright.data(), seed);
        EXPECT_EQ(*std::min_element(bright.begin(), bright.end()), 1.0f) << seed;
    }
    // Widths and shapes vary: the strokes cover many different pixel counts.
    EXPECT_GT(inked_counts.size(), 50u);
}

// The eraser only takes ink away, where its mask says, through the digit's ink, and is a
// function of its seed.
TEST(Strokes, TheEraserWipesInkThroughTheDigitAndNowhereElse) {
    std::set<int> wiped_counts;
    for (uint64_t seed = 1; seed <= 200; ++seed) {
        // Ink only in a 6x6 square away from the centre: every eraser must cross it.
        Image28 square{};
        for (int y = 3; y < 9; ++y)
            for (int x = 17; x < 23; ++x) square[y * kImageSide + x] = 1.0f;
        const Image28 before = square;
        const Image28 mask = erase_random_stroke(square.data(), seed);
        int wiped = 0, masked = 0;
        for (int p = 0; p < kImagePixels; ++p) {
            EXPECT_LE(square[p], before[p]) << seed;
            if (mask[p] > 0) {
                ++masked;
                EXPECT_LE(square[p], 0.5f * before[p]) << seed;
            } else if (before[p] > 0) {
                EXPECT_GT(square[p], 0.49f * before[p]) << seed;
            }
            wiped += before[p] > 0 && square[p] < 0.5f;
        }
        EXPECT_GT(wiped, 2) << seed;
        // Wiped at least half: pixel centres within 2 of a segment at most 12 long.
        EXPECT_LE(masked, 4 * 12 + 13) << seed;
        wiped_counts.insert(wiped);

        Image28 again = before;
        erase_random_stroke(again.data(), seed);
        EXPECT_EQ(again, square) << seed;
    }
    EXPECT_GT(wiped_counts.size(), 5u);

    // On an empty page it erases nothing and still says where it went.
    Image28 blank{};
    const Image28 mask = erase_random_stroke(blank.data(), 1);
    EXPECT_EQ(*std::max_element(blank.begin(), blank.end()), 0.0f);
    EXPECT_GT(*std::max_element(mask.begin(), mask.end()), 0.0f);
}

}  // namespace
}  // namespace oddigit
