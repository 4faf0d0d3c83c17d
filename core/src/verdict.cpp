#include "oddigit/verdict.h"

#include <algorithm>

namespace oddigit {

namespace {

double ratio_of(const ScoreFigures& score, Channel channel) {
    return channel == Channel::Shape ? score.shape_ratio : score.stroke_ratio;
}

// A digit to both channels: neither reaches its threshold.
bool clean_digit(const ScoreFigures& score) {
    return !reaches_threshold(score.stroke_ratio) && !reaches_threshold(score.shape_ratio);
}

// "a 7", "an 8": the article a name takes when read aloud.
std::string with_article(const std::string& name) {
    const bool vowel_sound = !name.empty() && std::string("aeiouAEIOU8").find(name.front()) != std::string::npos;
    return (vowel_sound ? "an " : "a ") + name;
}

}  // namespace

StrokeBlame blame_strokes(const ScoreFigures& whole, const std::vector<ScoreFigures>& without) {
    StrokeBlame blame;
    if (without.empty()) return blame;
    const Channel lead = leading_channel(whole);
    const double ratio = ratio_of(whole, lead);
    std::vector<double> drops;
    double total = 0;
    for (const ScoreFigures& rest : without) {
        drops.push_back(std::max(0.0, ratio - ratio_of(rest, lead)));
        total += drops.back();
    }
    for (double drop : drops) blame.shares.push_back(total > 0 ? drop / total : 0.0);
    const auto largest = std::max_element(drops.begin(), drops.end());
    if (*largest > 0 && *largest >= kMinimumOddShare * ratio) blame.outlined = static_cast<int>(largest - drops.begin());
    return blame;
}

Verdict judge(const ScoreFigures& whole) { return judge(whole, {}, {}, Calibration{}); }

Verdict judge(const ScoreFigures& whole, const std::vector<ScoreFigures>& without, const StrokeBlame& blame,
              const Calibration& calibration) {
    Verdict verdict;
    verdict.closest_class = verdict.named_class = whole.best_class;
    const bool stroke_fired = reaches_threshold(whole.stroke_ratio);
    const bool shape_fired = reaches_threshold(whole.shape_ratio);
    if (!stroke_fired && !shape_fired) return verdict;
    const int outlined = blame.outlined;
    const bool rest_is_digit = outlined >= 0 && clean_digit(without[outlined]);
    if (shape_fired) {
        // Not a digit, unless the outlined stroke is the one odd stroke of a plainly typical
        // digit (docs/method.md, "The verdict").
        const auto digits_left = std::count_if(without.begin(), without.end(), clean_digit);
        const bool one_odd_stroke = stroke_fired && rest_is_digit && digits_left == 1 &&
                                    calibration.percentile(without[outlined].score) <= kTypicalPercentile;
        if (!one_odd_stroke) {
            verdict.kind = VerdictKind::NotADigit;
            verdict.channel = Channel::Shape;
            return verdict;
        }
    }
    verdict.kind = VerdictKind::OddDigit;
    verdict.channel = Channel::Stroke;
    verdict.odd_stroke = outlined;
    if (rest_is_digit) verdict.named_class = without[outlined].best_class;
    return verdict;
}

std::string verdict_text(const ModelInfo& info, const Verdict& verdict) {
    const std::string stroke =
        verdict.odd_stroke >= 0 ? " — stroke " + std::to_string(verdict.odd_stroke + 1) + " looks odd" : "";
    if (!info.knows_classes) {
        switch (verdict.kind) {
            case VerdictKind::Normal: return "Normal";
            case VerdictKind::OddDigit: return "Odd stroke" + stroke;
            case VerdictKind::NotADigit: return "Odd shape";
        }
    }
    const std::string name = info.normal_classes.name(verdict.named_class);
    switch (verdict.kind) {
        case VerdictKind::Normal: return "Looks like " + with_article(name);
        case VerdictKind::OddDigit: return "An odd " + name + stroke;
        case VerdictKind::NotADigit:
            return (info.normal_classes.names_digits() ? "Not a digit (closest: " : "Not one of the classes (closest: ") + name + ")";
    }
    return {};
}

}  // namespace oddigit
