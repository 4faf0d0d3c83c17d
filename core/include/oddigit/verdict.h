#pragma once
// The verdict: what the app and the command line say of an image ("Looks like a 7", "An odd 7
// — stroke 3 looks odd", "Not a digit (closest: 4)"), and which stroke of a drawing is to
// blame. One rule for drawings and scans alike (a scan is a drawing without strokes), written
// out in docs/method.md ("The verdict"). Torch-free.
#include <string>
#include <vector>

#include "oddigit/model.h"
#include "oddigit/score.h"

namespace oddigit {

enum class VerdictKind {
    Normal,     // neither channel reaches its threshold: "Looks like a 7"
    OddDigit,   // a digit with something odd about it: "An odd 7", with the stroke when one is named
    NotADigit,  // "Not a digit (closest: 4)"
};

struct Verdict {
    VerdictKind kind = VerdictKind::Normal;
    // The channel behind the verdict: none (normal), stroke (an odd digit), shape (not a digit).
    Channel channel = Channel::None;
    int named_class = -1;    // the class named: the closest, or the one left without the odd stroke; -1 without a class head
    int closest_class = -1;  // the class head's best match for the whole image; -1 without a head
    int odd_stroke = -1;     // the stroke named (0-based); -1 when the verdict names none
};

// A stroke's removal is only called odd when it lowers the leading channel's ratio by at
// least this share of it.
constexpr double kMinimumOddShare = 0.05;

struct StrokeBlame {
    // Per stroke: how much the leading channel's ratio falls without it, over the sum of those
    // falls (0 for a stroke without which it does not fall).
    std::vector<double> shares;
    // The stroke without which the leading ratio falls most, when by at least kMinimumOddShare
    // of it; -1 for none.
    int outlined = -1;
};

// The blame of each stroke, from the drawing's score and its scores without each stroke in
// turn (without[i]: the drawing less stroke i). Empty without strokes to compare.
StrokeBlame blame_strokes(const ScoreFigures& whole, const std::vector<ScoreFigures>& without);

// The digit left without a drawing's odd stroke must be typical: it scores no higher than this
// share of the held-out digits of its calibration do.
constexpr double kTypicalPercentile = 0.5;

// The verdict of a drawing of two strokes or more, from its score, its scores without each
// stroke and their blame, all measured against calibration.
Verdict judge(const ScoreFigures& whole, const std::vector<ScoreFigures>& without, const StrokeBlame& blame,
              const Calibration& calibration);
// The verdict of an image without strokes to weigh: a scan, or a drawing of one stroke.
Verdict judge(const ScoreFigures& whole);

// The verdict as the app shows it: "Looks like a 7", "Looks like an 8", "An odd 7", "An odd 7
// — stroke 3 looks odd", "Not a digit (closest: 4)"; for a model of other classes than digits
// "Looks like a cat", "Not one of the classes (closest: cat)"; for a model without a digit head
// "Normal", "Odd stroke" or "Odd shape".
std::string verdict_text(const ModelInfo& info, const Verdict& verdict);

}  // namespace oddigit
