#pragma once
// Digits, letters and symbols drawn as pen strokes, for the drawn-input protocol: does the
// model call a drawn letter "not a digit" and a drawn digit normal? Every glyph comes from a
// stroke template of ours with random jitter, slant, size and pen width, is rendered as the
// canvas renders ink (render_drawing() of oddigit/drawing.h) and goes through the app's MNIST
// preprocessing. Nothing here may feed training: it is an evaluation set.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "oddigit/drawing.h"
#include "oddigit/image.h"
#include "oddigit/model.h"

namespace oddigit {

// OddDigit: a digit template squeezed into the top of its box with a foreign stroke (a zigzag
// or a row of loops) under it, which the verdict should call an odd digit with that stroke odd.
enum class GlyphKind { Digit, Letter, Symbol, OddDigit };

struct DrawnParams {
    int samples_per_template = 30;
    uint64_t seed = 1;
};

struct DrawnSet {
    std::vector<Drawing> drawings;    // the strokes
    ImageBatch images;                // MNIST-style, as the model sees a drawing
    std::vector<std::string> names;   // the template: "7", "7 crossed", "A", "#"
    std::vector<GlyphKind> kinds;
    std::vector<int> digits;          // the digit drawn, -1 for letters and symbols
    std::vector<bool> held_out;       // from a template kept out of choosing settings
};

// Every template, samples_per_template times, each with its own random jitter. Letters that
// are digits in common handwriting (B, G, I, O, S, Z) are left out.
DrawnSet draw_glyphs(const DrawnParams& params = {});

struct GlyphRate {
    std::string name;
    GlyphKind kind = GlyphKind::Digit;
    bool held_out = false;
    double flagged = 0;          // fraction flagged at the model's threshold
    double not_a_digit = 0;      // fraction whose verdict (judge_drawing()) is "Not a digit"
    double odd_digit = 0;        // fraction whose verdict is "An odd N"
    bool other_class = false;    // a digit outside the model's normal classes: an anomaly
};

struct DrawnReport {
    int digits = 0;                   // drawn digits of the model's normal classes
    int non_digits = 0;               // letters and symbols from templates used for choosing
    int held_out_non_digits = 0;
    double auroc = 0;                 // non-digits (chosen templates) against digits
    double held_out_auroc = 0;        // held-out non-digit templates against digits
    double digit_head_auroc = -1;     // as auroc, by the not-a-digit term alone; -1 without a digit head
    double digits_flagged = 0;        // fractions flagged at the model's threshold
    double letters_flagged = 0;
    double symbols_flagged = 0;
    double held_out_flagged = 0;
    // The verdicts, as the Draw view gives them (judge_drawing(), stroke by stroke): letters and
    // symbols (chosen templates) read "Not a digit"; drawn digits read "Looks like" the digit drawn.
    double letters_not_a_digit = 0;
    double symbols_not_a_digit = 0;
    double digits_named_normal = 0;
    // Odd digits (GlyphKind::OddDigit, kept out of every figure above): flagged, and read "An odd
    // N — stroke k looks odd" with the digit drawn and the foreign stroke named.
    int odd_digits = 0;
    double odd_digits_flagged = 0;
    double odd_digits_named = 0;
    double best_digit_accuracy = -1;  // drawn digits whose best-matching class is the one drawn; -1 without a digit head
    // Drawn digits of the classes that are not normal (a model of some digits only) against
    // those of the normal classes: unseen digits, labelled by their templates. -1 without any.
    double other_digits_auroc = -1;
    double other_digits_flagged = -1;
    std::vector<GlyphRate> glyphs;    // per template, the other classes' digits included
};

// Scores the set with the model, as drawings (the canvas calibration, where the model has
// one), and judges each drawing stroke by stroke. Digits outside the model's normal classes
// count only in other_digits_* and in their glyphs' rates.
// Throws Error when the set has no normal digit or no letter or symbol.
DrawnReport run_drawn(const AnomalyModel& model, const DrawnSet& set);

}  // namespace oddigit
