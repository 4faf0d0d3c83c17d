// The verdict rule of docs/method.md, clause by clause, on figures made up in the test: the
// rule needs no model and no image.
#include "oddigit/verdict.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace oddigit {
namespace {

ScoreFigures figures(float stroke, float shape, int digit) {
    ScoreFigures score;
    score.stroke_ratio = stroke;
    score.shape_ratio = shape;
    score.score = std::max(stroke, shape);
    score.best_class = digit;
    return score;
}

// A calibration whose held-out images score 0, 0.1, ..., 1.0: the median is 0.5.
Calibration tenth_steps() {
    Calibration calibration;
    for (int i = 0; i <= 10; ++i) calibration.validation_scores.push_back(0.1f * i);
    return calibration;
}

ModelInfo with_head() {
    ModelInfo info;
    info.knows_classes = true;
    return info;
}

Verdict judged(const ScoreFigures& whole, const std::vector<ScoreFigures>& without) {
    return judge(whole, without, blame_strokes(whole, without), tenth_steps());
}

TEST(Verdict, AScanIsNamedByTheChannelsThatFired) {
    EXPECT_EQ(verdict_text(with_head(), judge(figures(0.5f, 0.9f, 7))), "Looks like a 7");
    EXPECT_EQ(verdict_text(with_head(), judge(figures(0.5f, 0.9f, 8))), "Looks like an 8");
    EXPECT_EQ(verdict_text(with_head(), judge(figures(1.5f, 0.9f, 7))), "An odd 7");
    EXPECT_EQ(judge(figures(1.5f, 0.9f, 7)).channel, Channel::Stroke);
    // Without strokes nothing can be the odd one: a shape alarm is "not a digit", even led by the stroke alarm.
    EXPECT_EQ(verdict_text(with_head(), judge(figures(3.0f, 1.2f, 4))), "Not a digit (closest: 4)");
    EXPECT_EQ(judge(figures(3.0f, 1.2f, 4)).channel, Channel::Shape);
    EXPECT_EQ(verdict_text(ModelInfo{}, judge(figures(0.1f, 0, -1))), "Normal");
    EXPECT_EQ(verdict_text(ModelInfo{}, judge(figures(1.1f, 0, -1))), "Odd stroke");
    EXPECT_EQ(verdict_text(ModelInfo{}, judge(figures(0.1f, 1.1f, -1))), "Odd shape");
}

TEST(Verdict, TheStrokeToBlameLowersTheLeadingRatioMost) {
    const ScoreFigures whole = figures(2.0f, 1.0f, 7);  // the stroke channel leads
    const StrokeBlame blame = blame_strokes(whole, {figures(1.8f, 0.2f, 7), figures(0.5f, 3.0f, 7), figures(2.5f, 0.1f, 1)});
    EXPECT_EQ(blame.outlined, 1);
    ASSERT_EQ(blame.shares.size(), 3u);
    EXPECT_NEAR(blame.shares[0], 0.2 / 1.7, 1e-6);
    EXPECT_NEAR(blame.shares[1], 1.5 / 1.7, 1e-6);
    EXPECT_EQ(blame.shares[2], 0.0) << "a stroke without which the ratio rises takes no blame";
    // A fall under 5 % of the ratio names no stroke.
    EXPECT_EQ(blame_strokes(whole, {figures(1.95f, 1, 7), figures(1.96f, 1, 7)}).outlined, -1);
    EXPECT_EQ(blame_strokes(whole, {}).outlined, -1);
}

TEST(Verdict, AStrokeAlarmNamesTheOddStrokeAndTheDigitLeft) {
    // Only the stroke channel fired; without stroke 2 a clean 1 is left.
    const Verdict verdict = judged(figures(1.4f, 0.8f, 7), {figures(1.3f, 0.9f, 4), figures(0.2f, 0.3f, 1)});
    EXPECT_EQ(verdict.kind, VerdictKind::OddDigit);
    EXPECT_EQ(verdict.odd_stroke, 1);
    EXPECT_EQ(verdict.named_class, 1);
    EXPECT_EQ(verdict.closest_class, 7);
    EXPECT_EQ(verdict_text(with_head(), verdict), "An odd 1 — stroke 2 looks odd");
}

TEST(Verdict, AShapeAlarmIsNotADigitUnlessOneOddStrokeLeavesATypicalDigit) {
    const ScoreFigures whole = figures(1.5f, 19.0f, 2);  // the zigzag seven's ratios
    const ScoreFigures typical_seven = figures(0.1f, 0.19f, 7), doubtful_four = figures(0.58f, 0.44f, 4);
    const ScoreFigures no_digit = figures(1.2f, 6.8f, 4);
    // All four points hold: an odd 7.
    const Verdict odd = judged(whole, {no_digit, no_digit, typical_seven});
    EXPECT_EQ(verdict_text(with_head(), odd), "An odd 7 — stroke 3 looks odd");
    EXPECT_EQ(odd.channel, Channel::Stroke);
    // 1: the stroke channel must fire too.
    EXPECT_EQ(judged(figures(0.9f, 19.0f, 2), {no_digit, no_digit, typical_seven}).kind, VerdictKind::NotADigit);
    // 2: the rest must be a digit to both channels.
    EXPECT_EQ(judged(whole, {no_digit, no_digit, figures(1.1f, 0.2f, 7)}).kind, VerdictKind::NotADigit);
    // 3: no other stroke's removal may leave a digit.
    const Verdict two_rests = judged(whole, {figures(0.2f, 0.25f, 1), no_digit, typical_seven});
    EXPECT_EQ(two_rests.kind, VerdictKind::NotADigit);
    EXPECT_EQ(verdict_text(with_head(), two_rests), "Not a digit (closest: 2)");
    // 4: the digit left must be typical: no higher than the median held-out score (0.5 here).
    EXPECT_EQ(judged(whole, {no_digit, no_digit, doubtful_four}).kind, VerdictKind::NotADigit);
    EXPECT_EQ(judged(whole, {no_digit, no_digit, figures(0.3f, 0.5f, 7)}).kind, VerdictKind::OddDigit);
    EXPECT_EQ(judged(whole, {no_digit, no_digit, figures(0.3f, 0.51f, 7)}).kind, VerdictKind::NotADigit);
}

}  // namespace
}  // namespace oddigit
