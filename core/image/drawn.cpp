#include "oddigit/drawn.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <random>

#include "oddigit/error.h"
#include "oddigit/metrics.h"
#include "oddigit/score.h"

namespace oddigit {

namespace {

constexpr double kPi = 3.14159265358979323846;
// Glyph height on the paper, in pixels: from small to nearly filling it.
constexpr double kMinHeight = 140;
constexpr double kMaxHeight = 240;
// Width of the glyph's box as a share of its height.
constexpr double kMinAspect = 0.6;
constexpr double kMaxAspect = 1.0;
// Horizontal shift per unit of height going up: slant to the left (-) or right (+).
constexpr double kMinSlant = -0.2;
constexpr double kMaxSlant = 0.35;
constexpr double kMaxRotationDegrees = 8;
// The hand's wobble: a slow displacement along each stroke, in pixels.
constexpr double kMaxWobble = 5;
// Pen diameters in paper pixels around the canvas's default of 18.
constexpr double kMinPen = 10;
constexpr double kMaxPen = 26;
// Points per unit of template length, before jitter.
constexpr int kPointsPerUnit = 40;

using Point = std::array<float, 2>;
using Polyline = std::vector<Point>;

struct Template {
    std::string name;
    GlyphKind kind;
    int digit;  // -1 for letters and symbols
    bool held_out;
    std::vector<Polyline> strokes;  // in the unit box, y down
};

// Points on an ellipse from angle from_degrees to to_degrees (0 = right, 90 = down).
Polyline arc(float cx, float cy, float rx, float ry, float from_degrees, float to_degrees) {
    Polyline points;
    const int steps = std::max(4, static_cast<int>(std::abs(to_degrees - from_degrees) / 10));
    for (int i = 0; i <= steps; ++i) {
        const double a = (from_degrees + (to_degrees - from_degrees) * i / steps) * kPi / 180;
        points.push_back({static_cast<float>(cx + rx * std::cos(a)), static_cast<float>(cy + ry * std::sin(a))});
    }
    return points;
}

Polyline joined(Polyline first, const Polyline& second) {
    first.insert(first.end(), second.begin(), second.end());
    return first;
}

// A short stroke that the pen leaves as a dot.
Polyline dot(float x, float y) { return {{x, y}, {x + 0.01f, y + 0.02f}}; }

std::vector<Template> templates() {
    const GlyphKind D = GlyphKind::Digit, L = GlyphKind::Letter, S = GlyphKind::Symbol;
    const Polyline o = arc(0.5f, 0.5f, 0.32f, 0.45f, -90, 270);
    const Polyline p_bowl = joined({{0.2f, 0.95f}, {0.2f, 0.05f}}, arc(0.3f, 0.28f, 0.45f, 0.23f, 270, 450));
    return {
        {"0", D, 0, false, {o}},
        {"1", D, 1, false, {{{0.5f, 0.05f}, {0.5f, 0.95f}}}},
        {"1 flagged", D, 1, false, {{{0.28f, 0.28f}, {0.52f, 0.05f}, {0.52f, 0.95f}}}},
        {"2", D, 2, false, {joined(arc(0.5f, 0.3f, 0.3f, 0.25f, 180, 400), {{0.15f, 0.95f}, {0.88f, 0.95f}})}},
        {"3", D, 3, false, {joined(arc(0.5f, 0.27f, 0.28f, 0.22f, 200, 450), arc(0.5f, 0.72f, 0.32f, 0.23f, 270, 520))}},
        {"4", D, 4, false, {{{0.65f, 0.95f}, {0.65f, 0.05f}, {0.12f, 0.65f}, {0.88f, 0.65f}}}},
        {"4 open", D, 4, false, {{{0.3f, 0.05f}, {0.18f, 0.6f}, {0.88f, 0.6f}}, {{0.66f, 0.3f}, {0.66f, 0.95f}}}},
        {"5", D, 5, false,
         {joined({{0.3f, 0.05f}, {0.25f, 0.45f}}, arc(0.5f, 0.68f, 0.33f, 0.27f, 228, 515)), {{0.3f, 0.05f}, {0.82f, 0.05f}}}},
        {"6", D, 6, false, {joined(arc(0.65f, 0.58f, 0.45f, 0.53f, 290, 180), arc(0.48f, 0.72f, 0.27f, 0.23f, 180, 535))}},
        {"7", D, 7, false, {{{0.12f, 0.05f}, {0.88f, 0.05f}, {0.4f, 0.95f}}}},
        {"7 crossed", D, 7, false, {{{0.12f, 0.05f}, {0.88f, 0.05f}, {0.4f, 0.95f}}, {{0.35f, 0.5f}, {0.8f, 0.5f}}}},
        {"8", D, 8, false, {arc(0.5f, 0.27f, 0.25f, 0.22f, 90, 450), arc(0.5f, 0.72f, 0.3f, 0.23f, 270, 630)}},
        {"9", D, 9, false, {joined(arc(0.48f, 0.3f, 0.3f, 0.25f, 0, 360), {{0.76f, 0.95f}})}},
        {"9 curved", D, 9, false, {joined(arc(0.48f, 0.3f, 0.3f, 0.25f, 0, 360), arc(0.3f, 0.55f, 0.48f, 0.4f, 0, 95))}},

        {"A", L, -1, false, {{{0.08f, 0.95f}, {0.5f, 0.05f}, {0.92f, 0.95f}}, {{0.27f, 0.6f}, {0.73f, 0.6f}}}},
        {"C", L, -1, false, {arc(0.55f, 0.5f, 0.42f, 0.45f, 320, 40)}},
        {"D", L, -1, false, {joined({{0.2f, 0.95f}, {0.2f, 0.05f}}, arc(0.2f, 0.5f, 0.62f, 0.45f, 270, 450))}},
        {"E", L, -1, false, {{{0.82f, 0.05f}, {0.2f, 0.05f}, {0.2f, 0.95f}, {0.82f, 0.95f}}, {{0.2f, 0.5f}, {0.68f, 0.5f}}}},
        {"F", L, -1, false, {{{0.82f, 0.05f}, {0.2f, 0.05f}, {0.2f, 0.95f}}, {{0.2f, 0.5f}, {0.68f, 0.5f}}}},
        {"H", L, -1, false, {{{0.2f, 0.05f}, {0.2f, 0.95f}}, {{0.8f, 0.05f}, {0.8f, 0.95f}}, {{0.2f, 0.5f}, {0.8f, 0.5f}}}},
        {"J", L, -1, false, {joined({{0.78f, 0.05f}, {0.78f, 0.7f}}, arc(0.5f, 0.7f, 0.28f, 0.25f, 0, 180))}},
        {"K", L, -1, true, {{{0.2f, 0.05f}, {0.2f, 0.95f}}, {{0.82f, 0.05f}, {0.2f, 0.55f}, {0.82f, 0.95f}}}},
        {"L", L, -1, false, {{{0.2f, 0.05f}, {0.2f, 0.95f}, {0.82f, 0.95f}}}},
        {"M", L, -1, false, {{{0.08f, 0.95f}, {0.14f, 0.05f}, {0.5f, 0.6f}, {0.86f, 0.05f}, {0.92f, 0.95f}}}},
        {"N", L, -1, false, {{{0.2f, 0.95f}, {0.2f, 0.05f}, {0.8f, 0.95f}, {0.8f, 0.05f}}}},
        {"P", L, -1, true, {p_bowl}},
        {"Q", L, -1, false, {o, {{0.6f, 0.72f}, {0.92f, 1.0f}}}},
        {"R", L, -1, false, {p_bowl, {{0.38f, 0.51f}, {0.82f, 0.95f}}}},
        {"T", L, -1, false, {{{0.08f, 0.05f}, {0.92f, 0.05f}}, {{0.5f, 0.05f}, {0.5f, 0.95f}}}},
        {"U", L, -1, false, {joined(joined({{0.2f, 0.05f}, {0.2f, 0.65f}}, arc(0.5f, 0.65f, 0.3f, 0.3f, 180, 0)), {{0.8f, 0.05f}})}},
        {"V", L, -1, false, {{{0.08f, 0.05f}, {0.5f, 0.95f}, {0.92f, 0.05f}}}},
        {"W", L, -1, true, {{{0.04f, 0.05f}, {0.27f, 0.95f}, {0.5f, 0.35f}, {0.73f, 0.95f}, {0.96f, 0.05f}}}},
        {"X", L, -1, false, {{{0.15f, 0.05f}, {0.85f, 0.95f}}, {{0.85f, 0.05f}, {0.15f, 0.95f}}}},
        {"Y", L, -1, true, {{{0.1f, 0.05f}, {0.5f, 0.5f}, {0.9f, 0.05f}}, {{0.5f, 0.5f}, {0.5f, 0.95f}}}},

        {"#", S, -1, false,
         {{{0.38f, 0.05f}, {0.3f, 0.95f}}, {{0.72f, 0.05f}, {0.64f, 0.95f}}, {{0.08f, 0.35f}, {0.92f, 0.35f}},
          {{0.06f, 0.65f}, {0.9f, 0.65f}}}},
        {"+", S, -1, false, {{{0.5f, 0.08f}, {0.5f, 0.92f}}, {{0.08f, 0.5f}, {0.92f, 0.5f}}}},
        {"=", S, -1, false, {{{0.08f, 0.35f}, {0.92f, 0.35f}}, {{0.08f, 0.65f}, {0.92f, 0.65f}}}},
        {"*", S, -1, false,
         {{{0.5f, 0.05f}, {0.5f, 0.95f}}, {{0.1f, 0.27f}, {0.9f, 0.73f}}, {{0.1f, 0.73f}, {0.9f, 0.27f}}}},
        {"%", S, -1, false,
         {{{0.85f, 0.05f}, {0.15f, 0.95f}}, arc(0.25f, 0.2f, 0.14f, 0.14f, 0, 360), arc(0.75f, 0.8f, 0.14f, 0.14f, 0, 360)}},
        {"?", S, -1, false, {joined(arc(0.5f, 0.28f, 0.3f, 0.23f, 190, 450), {{0.5f, 0.7f}}), dot(0.5f, 0.93f)}},
        {"!", S, -1, false, {{{0.5f, 0.05f}, {0.5f, 0.7f}}, dot(0.5f, 0.93f)}},
        {"<", S, -1, false, {{{0.88f, 0.1f}, {0.12f, 0.5f}, {0.88f, 0.9f}}}},
        {">", S, -1, false, {{{0.12f, 0.1f}, {0.88f, 0.5f}, {0.12f, 0.9f}}}},
        {"@", S, -1, true, {joined(arc(0.5f, 0.5f, 0.16f, 0.18f, 0, 360), arc(0.5f, 0.5f, 0.44f, 0.45f, 0, -300))}},
        {"pi", S, -1, true, {{{0.08f, 0.15f}, {0.92f, 0.15f}}, {{0.3f, 0.15f}, {0.28f, 0.95f}}, {{0.7f, 0.15f}, {0.75f, 0.95f}}}},
    };
}

// A digit template with a foreign stroke under it: the digit squeezed into the top three
// quarters of the box, the stroke in the last fifth.
Template with_foreign_stroke(const Template& digit, const std::string& what, const Polyline& foreign) {
    Template odd{digit.name + " + " + what, GlyphKind::OddDigit, digit.digit, false, {}};
    for (Polyline line : digit.strokes) {
        for (Point& point : line) point[1] *= 0.75f;
        odd.strokes.push_back(std::move(line));
    }
    odd.strokes.push_back(foreign);
    return odd;
}

// Every template: digits, letters and symbols, then the odd digits (last, so that adding them
// left the jitter of the others as it was).
std::vector<Template> all_templates() {
    std::vector<Template> all = templates();
    Polyline zigzag, loops;
    for (int i = 0; i <= 8; ++i) zigzag.push_back({0.04f + 0.115f * i, i % 2 ? 0.83f : 0.98f});
    for (int i = 0; i < 4; ++i) {
        const Polyline loop = arc(0.2f + 0.2f * i, 0.9f, 0.12f, 0.08f, 180, 540);
        loops.insert(loops.end(), loop.begin(), loop.end());
    }
    const auto digit = [&](const std::string& name) {
        return *std::find_if(all.begin(), all.end(), [&](const Template& t) { return t.name == name; });
    };
    for (const Template& odd : {with_foreign_stroke(digit("0"), "zigzag", zigzag), with_foreign_stroke(digit("3"), "zigzag", zigzag),
                                with_foreign_stroke(digit("7"), "zigzag", zigzag), with_foreign_stroke(digit("4"), "loops", loops)})
        all.push_back(odd);
    return all;
}

// The template's polyline resampled finely, so that the wobble bends straight lines too.
Polyline resampled(const Polyline& line) {
    Polyline points{line.front()};
    for (size_t i = 1; i < line.size(); ++i) {
        const float dx = line[i][0] - line[i - 1][0], dy = line[i][1] - line[i - 1][1];
        const int steps = std::max(1, static_cast<int>(std::hypot(dx, dy) * kPointsPerUnit));
        for (int s = 1; s <= steps; ++s)
            points.push_back({line[i - 1][0] + dx * s / steps, line[i - 1][1] + dy * s / steps});
    }
    return points;
}

std::vector<PenStroke> jittered(const Template& glyph, std::mt19937_64& random) {
    auto uniform = [&](double low, double high) { return std::uniform_real_distribution<double>(low, high)(random); };
    const double height = uniform(kMinHeight, kMaxHeight);
    const double width = height * uniform(kMinAspect, kMaxAspect);
    const double slant = uniform(kMinSlant, kMaxSlant);
    const double angle = uniform(-kMaxRotationDegrees, kMaxRotationDegrees) * kPi / 180;
    const double centre_x = kPaperSide / 2.0 + uniform(-20, 20), centre_y = kPaperSide / 2.0 + uniform(-20, 20);
    const float pen = static_cast<float>(uniform(kMinPen, kMaxPen));
    std::vector<PenStroke> strokes;
    for (const Polyline& line : glyph.strokes) {
        // A slow wobble: two sine waves along the stroke, in x and y.
        const double amplitude = uniform(0, kMaxWobble), phase_x = uniform(0, 2 * kPi), phase_y = uniform(0, 2 * kPi);
        const double frequency = uniform(0.5, 1.5) * 2 * kPi / kPointsPerUnit;
        PenStroke stroke;
        stroke.width = pen;
        const Polyline points = resampled(line);
        for (size_t i = 0; i < points.size(); ++i) {
            const double u = (points[i][0] - 0.5) * width, v = (points[i][1] - 0.5) * height;
            const double slanted = u - slant * v;
            const double x = slanted * std::cos(angle) - v * std::sin(angle);
            const double y = slanted * std::sin(angle) + v * std::cos(angle);
            stroke.points.push_back({static_cast<float>(centre_x + x + amplitude * std::sin(frequency * i + phase_x)),
                                     static_cast<float>(centre_y + y + amplitude * std::sin(frequency * i + phase_y))});
        }
        strokes.push_back(std::move(stroke));
    }
    return strokes;
}

double rate(int hits, int count) { return count ? static_cast<double>(hits) / count : 0.0; }

// Each drawing judged as the Draw view judges it; the shares of each verdict per template, and
// of letters and symbols read "not a digit" and normal digits read as themselves.
void add_verdict_rates(const AnomalyModel& model, const DrawnSet& set, DrawnReport& report) {
    std::map<std::string, std::pair<int, int>> template_verdicts;  // not a digit, odd digit
    int letters = 0, letters_not = 0, symbols = 0, symbols_not = 0, digits = 0, digits_named = 0, odd_named = 0;
    for (size_t i = 0; i < set.drawings.size(); ++i) {
        const Verdict verdict = judge_drawing(model, set.drawings[i]).verdict;
        const bool not_a_digit = verdict.kind == VerdictKind::NotADigit;
        template_verdicts[set.names[i]].first += not_a_digit;
        template_verdicts[set.names[i]].second += verdict.kind == VerdictKind::OddDigit;
        const int foreign_stroke = static_cast<int>(set.drawings[i].strokes.size()) - 1;
        if (set.kinds[i] == GlyphKind::OddDigit)
            odd_named += verdict.kind == VerdictKind::OddDigit && verdict.named_class == set.digits[i] && verdict.odd_stroke == foreign_stroke;
        if (set.held_out[i]) continue;
        if (set.kinds[i] == GlyphKind::Letter) letters += 1, letters_not += not_a_digit;
        if (set.kinds[i] == GlyphKind::Symbol) symbols += 1, symbols_not += not_a_digit;
        if (set.kinds[i] == GlyphKind::Digit && model.info().normal_classes.contains(set.digits[i]))
            digits += 1, digits_named += verdict.kind == VerdictKind::Normal && verdict.named_class == set.digits[i];
    }
    for (GlyphRate& glyph : report.glyphs) {
        const int count = static_cast<int>(std::count(set.names.begin(), set.names.end(), glyph.name));
        glyph.not_a_digit = rate(template_verdicts[glyph.name].first, count);
        glyph.odd_digit = rate(template_verdicts[glyph.name].second, count);
    }
    report.letters_not_a_digit = rate(letters_not, letters);
    report.symbols_not_a_digit = rate(symbols_not, symbols);
    report.digits_named_normal = rate(digits_named, digits);
    report.odd_digits_named = rate(odd_named, report.odd_digits);
}

// What run_drawn gathers over the scored set, before it becomes the report's AUROCs and rates.
struct DrawnTally {
    std::vector<float> chosen_scores, held_out_scores, chosen_not_digit, digit_scores;
    std::vector<bool> chosen_anomalous, held_out_anomalous, digit_anomalous;
    int other_digits = 0, other_digits_flagged = 0;
    int digits_flagged = 0, letters = 0, letters_flagged = 0, symbols = 0, symbols_flagged = 0, held_out_flagged = 0;
    int digits_recognised = 0;
    std::vector<std::pair<int, int>> glyph_hits;  // per template: flagged, drawings
};

// Sorts each drawing's score into its comparison: the chosen one (normal digits against letters
// and symbols), the held-out glyphs, the digits of other classes and the odd digits. Adds a row
// per template and the counts to report.
DrawnTally tally_scores(const ModelInfo& info, const DrawnSet& set, const std::vector<ImageScore>& scores,
                        DrawnReport& report) {
    DrawnTally tally;
    for (size_t i = 0; i < scores.size(); ++i) {
        const bool digit = set.kinds[i] == GlyphKind::Digit;
        const float score = scores[i].score;
        const bool flagged = oddigit::flagged(scores[i]);
        const bool other = digit && !info.normal_classes.contains(set.digits[i]);
        if (report.glyphs.empty() || report.glyphs.back().name != set.names[i]) {
            report.glyphs.push_back({set.names[i], set.kinds[i], set.held_out[i], 0, 0, 0, other});
            tally.glyph_hits.push_back({0, 0});
        }
        tally.glyph_hits.back().first += flagged;
        ++tally.glyph_hits.back().second;
        if (set.kinds[i] == GlyphKind::OddDigit) {
            ++report.odd_digits;
            report.odd_digits_flagged += flagged;
            continue;
        }
        if (digit) {
            tally.digit_scores.push_back(score);
            tally.digit_anomalous.push_back(other);
            if (other) {
                ++tally.other_digits;
                tally.other_digits_flagged += flagged;
                continue;
            }
        }
        if (digit) {
            ++report.digits;
            tally.digits_flagged += flagged;
            tally.digits_recognised += scores[i].best_class == set.digits[i];
            for (auto* list : {&tally.chosen_scores, &tally.held_out_scores}) list->push_back(score);
            tally.chosen_not_digit.push_back(scores[i].not_digit);
            tally.chosen_anomalous.push_back(false);
            tally.held_out_anomalous.push_back(false);
        } else if (set.held_out[i]) {
            ++report.held_out_non_digits;
            tally.held_out_flagged += flagged;
            tally.held_out_scores.push_back(score);
            tally.held_out_anomalous.push_back(true);
        } else {
            ++report.non_digits;
            (set.kinds[i] == GlyphKind::Letter ? tally.letters : tally.symbols) += 1;
            (set.kinds[i] == GlyphKind::Letter ? tally.letters_flagged : tally.symbols_flagged) += flagged;
            tally.chosen_scores.push_back(score);
            tally.chosen_not_digit.push_back(scores[i].not_digit);
            tally.chosen_anomalous.push_back(true);
        }
    }
    return tally;
}

// The tally's AUROCs and flagged shares into the report; the digit head's figures only for a
// model that knows the digits.
void add_flag_rates(const ModelInfo& info, const DrawnTally& tally, DrawnReport& report) {
    for (size_t g = 0; g < report.glyphs.size(); ++g)
        report.glyphs[g].flagged = rate(tally.glyph_hits[g].first, tally.glyph_hits[g].second);
    report.auroc = auroc(tally.chosen_scores, tally.chosen_anomalous);
    if (report.held_out_non_digits > 0) report.held_out_auroc = auroc(tally.held_out_scores, tally.held_out_anomalous);
    report.digits_flagged = rate(tally.digits_flagged, report.digits);
    report.letters_flagged = rate(tally.letters_flagged, tally.letters);
    report.symbols_flagged = rate(tally.symbols_flagged, tally.symbols);
    report.held_out_flagged = rate(tally.held_out_flagged, report.held_out_non_digits);
    report.odd_digits_flagged = report.odd_digits ? report.odd_digits_flagged / report.odd_digits : 0.0;
    if (tally.other_digits > 0) {
        report.other_digits_auroc = auroc(tally.digit_scores, tally.digit_anomalous);
        report.other_digits_flagged = rate(tally.other_digits_flagged, tally.other_digits);
    }
    if (info.knows_classes) {
        report.best_digit_accuracy = rate(tally.digits_recognised, report.digits);
        report.digit_head_auroc = auroc(tally.chosen_not_digit, tally.chosen_anomalous);
    }
}

}  // namespace

DrawnSet draw_glyphs(const DrawnParams& params) {
    DrawnSet set;
    std::mt19937_64 random(params.seed);
    for (const Template& glyph : all_templates()) {
        for (int i = 0; i < params.samples_per_template; ++i) {
            set.drawings.push_back({jittered(glyph, random), {}});
            const Image28 image = drawing_input(set.drawings.back());
            set.images.append(image.data());
            set.names.push_back(glyph.name);
            set.kinds.push_back(glyph.kind);
            set.digits.push_back(glyph.digit);
            set.held_out.push_back(glyph.held_out);
        }
    }
    return set;
}

DrawnReport run_drawn(const AnomalyModel& model, const DrawnSet& set) {
    ScoreParams as_drawings;
    as_drawings.input = InputKind::Drawn;
    const std::vector<ImageScore> scores = model.score(set.images, as_drawings);
    DrawnReport report;
    const DrawnTally tally = tally_scores(model.info(), set, scores, report);
    if (report.digits == 0 || report.non_digits == 0)
        throw Error("the drawn set needs digits of the model's normal classes and letters or symbols");
    add_flag_rates(model.info(), tally, report);
    add_verdict_rates(model, set, report);
    return report;
}

}  // namespace oddigit
