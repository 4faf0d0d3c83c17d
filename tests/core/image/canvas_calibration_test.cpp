// The canvas calibration: held-out digits redrawn as the canvas draws, and the Draw view's
// thresholds set on them.
#include "oddigit/canvas_calibration.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "oddigit/calibration.h"
#include "oddigit/drawn.h"
#include "oddigit/score.h"
#include "test_support.h"

namespace oddigit {
namespace {

// The share of pixels at or above half intensity in one image and in the other too, over
// those in either: how much of the ink two versions of a digit share.
double ink_overlap(const float* a, const float* b) {
    int both = 0, either = 0;
    for (int p = 0; p < kImagePixels; ++p) {
        both += a[p] >= 0.5f && b[p] >= 0.5f;
        either += a[p] >= 0.5f || b[p] >= 0.5f;
    }
    return either ? static_cast<double>(both) / either : 0.0;
}

// A redrawn digit keeps its shape: the model reads the same digit in it, and it shares most of
// its ink with the original.
TEST(RedrawAsDrawn, KeepsEachDigitsShapeAndGivesItTheCanvasPen) {
    const ImageBatch digits = test::test_digits(ClassSet::all(), 300);
    const ImageBatch redrawn = redraw_as_drawn(digits);
    ASSERT_EQ(redrawn.size(), digits.size()) << "every MNIST test digit has ink to redraw";
    const AnomalyModel& model = test::fixture_model();
    const std::vector<ImageScore> original_scores = model.score(digits), redrawn_scores = model.score(redrawn);
    int same_digit = 0;
    double overlap = 0;
    for (int64_t i = 0; i < digits.size(); ++i) {
        same_digit += original_scores[i].best_class == redrawn_scores[i].best_class;
        overlap += ink_overlap(digits.image(i), redrawn.image(i));
    }
    test::print_measured("redrawn digits named as the original", same_digit / 300.0);
    test::print_measured("redrawn digits' ink overlap with the original", overlap / 300.0);
    EXPECT_GT(same_digit / 300.0, 0.9);
    EXPECT_GT(overlap / 300.0, 0.4);
    // The same seed redraws the same set, another seed another one; a digit without ink is
    // left out, and the others keep their redrawing.
    EXPECT_EQ(redraw_as_drawn(digits).pixels, redrawn.pixels);
    RedrawParams other;
    other.seed = 2;
    EXPECT_NE(redraw_as_drawn(digits, other).pixels, redrawn.pixels);
    ImageBatch with_blank;
    with_blank.append(digits.image(0));
    with_blank.pixels.resize(with_blank.pixels.size() + kImagePixels, 0.0f);
    with_blank.append(digits.image(2));
    const ImageBatch two = redraw_as_drawn(with_blank);
    ASSERT_EQ(two.size(), 2);
    EXPECT_TRUE(std::equal(two.image(0), two.image(1), redrawn.image(0)));
    EXPECT_TRUE(std::equal(two.image(1), two.image(2), redrawn.image(2)));
}

// On the bundled model: the thresholds set on redrawn held-out digits flag the quantile's
// share of other redrawn digits, sit below the MNIST ones (a drawing is cleaner than MNIST's
// worst digits), and flag drawn letters more often than the MNIST calibration does (which,
// with the digit reader, already flags most of them) while drawn digits still pass. Scanned
// images are measured as before.
TEST(CalibrateCanvas, DrawnLettersAreFlaggedMoreOftenAndDrawnDigitsStillPass) {
    AnomalyModel model = test::fixture_model().clone();
    const ImageBatch held_out = test::held_out_digits(1500);
    calibrate(model, held_out, 0.95f);
    const ModelInfo scanned = model.info();
    ASSERT_FALSE(scanned.canvas.is_set()) << "calibrate() clears the canvas calibration";
    DrawnParams drawn;
    drawn.samples_per_template = 10;
    const DrawnSet glyphs = draw_glyphs(drawn);
    const DrawnReport before = run_drawn(model, glyphs);
    const ImageBatch other_digits = redraw_as_drawn(test::test_digits(ClassSet::all(), 1000));
    const std::vector<float> scanned_scores = model.score_values(other_digits);

    calibrate_canvas(model, redraw_as_drawn(held_out));
    const ModelInfo& info = model.info();
    ASSERT_TRUE(info.canvas.is_set());
    EXPECT_LT(info.canvas.stroke, info.mnist.stroke);
    EXPECT_LT(info.canvas.shape, info.mnist.shape);
    EXPECT_GT(info.canvas.heat_full_scale, 0);
    EXPECT_EQ(info.mnist.stroke, scanned.mnist.stroke);
    EXPECT_EQ(info.mnist.shape, scanned.mnist.shape);

    ScoreParams as_drawings;
    as_drawings.input = InputKind::Drawn;
    const std::vector<float> drawn_scores = model.score_values(other_digits, as_drawings);
    const double share = std::count_if(drawn_scores.begin(), drawn_scores.end(),
                                       [](float s) { return flagged(s, kFlagRatio); }) / 1000.0;
    test::print_measured("redrawn test digits flagged by the canvas calibration", share);
    EXPECT_GT(share, 0.02);
    EXPECT_LT(share, 0.12);
    EXPECT_EQ(model.score_values(other_digits), scanned_scores) << "scanned images keep the MNIST calibration";

    const DrawnReport after = run_drawn(model, glyphs);
    test::print_measured("drawn letters flagged, MNIST calibration", before.letters_flagged);
    test::print_measured("drawn letters flagged, canvas calibration", after.letters_flagged);
    test::print_measured("drawn digits flagged, canvas calibration", after.digits_flagged);
    EXPECT_GT(after.letters_flagged, before.letters_flagged);
    EXPECT_GT(after.symbols_flagged, before.symbols_flagged);
    EXPECT_GT(after.letters_flagged, 0.85);
    EXPECT_LE(after.digits_flagged, 0.05);
}

}  // namespace
}  // namespace oddigit
