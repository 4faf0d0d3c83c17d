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

}  // namespace
}  // namespace oddigit
