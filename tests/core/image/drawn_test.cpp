#include "oddigit/drawn.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "oddigit/error.h"
#include "test_support.h"

namespace oddigit {
namespace {

TEST(DrawGlyphs, GivesEveryTemplateInkJitteredAndRepeatable) {
    DrawnParams params;
    params.samples_per_template = 4;
    const DrawnSet set = draw_glyphs(params);
    ASSERT_EQ(set.names.size(), static_cast<size_t>(set.images.size()));
    std::set<std::string> names(set.names.begin(), set.names.end());
    EXPECT_EQ(static_cast<int64_t>(names.size()) * 4, set.images.size());
    std::set<int> digits;
    int held_out = 0;
    for (int64_t i = 0; i < set.images.size(); ++i) {
        const float* image = set.images.image(i);
        EXPECT_GT(*std::max_element(image, image + kImagePixels), 0.5f) << set.names[i];
        if (set.kinds[i] == GlyphKind::Digit) digits.insert(set.digits[i]);
        if (set.kinds[i] == GlyphKind::Letter || set.kinds[i] == GlyphKind::Symbol) EXPECT_EQ(set.digits[i], -1);
        if (set.kinds[i] == GlyphKind::OddDigit) EXPECT_GE(set.digits[i], 0);
        EXPECT_EQ(set.drawings[i].strokes.empty(), false);
        held_out += set.held_out[i];
    }
    EXPECT_EQ(digits.size(), 10u);
    EXPECT_GT(held_out, 0);
    // Two drawings of one template differ; the same seed draws the same set again.
    EXPECT_FALSE(std::equal(set.images.image(0), set.images.image(1), set.images.image(1)));
    EXPECT_EQ(draw_glyphs(params).images.pixels, set.images.pixels);
    params.seed = 2;
    EXPECT_NE(draw_glyphs(params).images.pixels, set.images.pixels);
}

// The bundled model on drawn input: digits pass, letters and symbols are flagged far more
// often, and the digit head names most drawn digits.
TEST(RunDrawn, TheBundledModelTellsDrawnDigitsFromLettersAndSymbols) {
    const AnomalyModel model = AnomalyModel::load(test::fixture_model_path());
    DrawnParams params;
    params.samples_per_template = 10;
    const DrawnReport report = run_drawn(model, draw_glyphs(params));
    test::print_measured("drawn: AUROC non-digits vs digits", report.auroc);
    test::print_measured("drawn: digits flagged", report.digits_flagged);
    test::print_measured("drawn: letters flagged", report.letters_flagged);
    test::print_measured("drawn: digits named right", report.best_digit_accuracy);
    EXPECT_GT(report.auroc, 0.9);
    EXPECT_LT(report.digits_flagged, 0.1);
    // Measured against the canvas calibration (0.7), 0.74 of the letters are flagged; against
    // the MNIST one, 0.44-0.47 (docs/decisions.md, "A canvas calibration for the Draw view").
    EXPECT_GT(report.letters_flagged, 0.6);
    EXPECT_GT(report.best_digit_accuracy, 0.8);
    EXPECT_EQ(report.digits + report.non_digits + report.held_out_non_digits + report.odd_digits,
              10 * static_cast<int>(report.glyphs.size()));
    EXPECT_EQ(report.odd_digits, 40);
    // The verdicts, as the Draw view gives them: letters read "not a digit" (0.72 of them with
    // 30 drawings a template), and drawn digits read as themselves.
    test::print_measured("drawn: letters read not a digit", report.letters_not_a_digit);
    test::print_measured("drawn: digits read as themselves", report.digits_named_normal);
    EXPECT_GT(report.letters_not_a_digit, 0.6);
    EXPECT_LE(report.letters_not_a_digit, report.letters_flagged);
    EXPECT_GT(report.digits_named_normal, 0.8);
    EXPECT_EQ(report.other_digits_auroc, -1.0) << "every digit is normal for this model";
}

// With fewer normal classes, the drawn digits of the others are reported apart, as anomalies:
// the bundled model told that only 0 and 1 are normal finds the other digits unlike them.
TEST(RunDrawn, ReportsTheDigitsOfTheOtherClassesApart) {
    AnomalyModel model = AnomalyModel::load(test::fixture_model_path());
    model.info().normal_classes = ClassSet::parse("0,1");
    DrawnParams params;
    params.samples_per_template = 10;
    const DrawnSet set = draw_glyphs(params);
    const DrawnReport report = run_drawn(model, set);
    int zeros_and_ones = 0;
    for (size_t i = 0; i < set.digits.size(); ++i)
        zeros_and_ones += set.kinds[i] == GlyphKind::Digit && (set.digits[i] == 0 || set.digits[i] == 1);
    EXPECT_EQ(report.digits, zeros_and_ones);
    // Each other-class template is drawn as often, so their rates average to the flagged share.
    double other_rates = 0;
    int other_templates = 0;
    for (const GlyphRate& glyph : report.glyphs) {
        if (glyph.kind != GlyphKind::Digit) continue;
        const bool zero_or_one = glyph.name == "0" || glyph.name.rfind("1", 0) == 0;
        EXPECT_EQ(glyph.other_class, !zero_or_one) << glyph.name;
        if (!glyph.other_class) continue;
        other_rates += glyph.flagged;
        ++other_templates;
    }
    ASSERT_GT(other_templates, 0);
    EXPECT_NEAR(other_rates / other_templates, report.other_digits_flagged, 1e-9);
    test::print_measured("drawn: other digits vs 0 and 1, AUROC", report.other_digits_auroc);
    EXPECT_GT(report.other_digits_auroc, 0.9);
    EXPECT_GT(report.other_digits_flagged, report.digits_flagged);
}

TEST(RunDrawn, NeedsDigitsAndNonDigits) {
    const AnomalyModel model = AnomalyModel::load(test::fixture_model_path());
    DrawnSet digits_only;
    digits_only.images.append(test::test_digits(ClassSet::single(3), 1).image(0));
    digits_only.names = {"3"};
    digits_only.kinds = {GlyphKind::Digit};
    digits_only.digits = {3};
    digits_only.held_out = {false};
    EXPECT_THROW(run_drawn(model, digits_only), Error);
}

}  // namespace
}  // namespace oddigit
