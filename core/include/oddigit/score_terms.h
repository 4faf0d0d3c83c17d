#pragma once
// The score's terms (oddigit/score.h has the formula): the feature residual's weight in the
// stroke channel, and each shape term's weight and the scale it is measured in. One struct for
// the weights a training asks for (TrainParams::terms) and those its model keeps with their
// scales (ModelInfo::terms): a model takes its training's whole. Each shape term's names are
// written once, here; the model file's keys, the training record, the command line's options,
// `info` and the Draw view's breakdown are made from them. Torch-free.
#include <array>

namespace oddigit {

// The shape channel's terms, in the formula's order.
enum class ShapeTerm {
    NotAClass,  // -log P(x is one of the normal classes), from D's class head
    Density,    // the squared Mahalanobis distance of D's features to the nearest normal class
    Realness,   // -log sigmoid(D's realness logit of the reconstruction): how fake it looks
    Reader,     // the class readers' doubt (ModelInfo::reader_term)
};
constexpr std::array<ShapeTerm, 4> kShapeTerms = {ShapeTerm::NotAClass, ShapeTerm::Density, ShapeTerm::Realness,
                                                  ShapeTerm::Reader};

struct ShapeTermNames {
    const char* label;  // what people read ("not a digit")
    // The stem of its keys: the model file's (oddigit.<key>_weight, oddigit.<key>_scale), the
    // training record's (<key>_weight) and the command line's option (--<key>-weight).
    const char* key;
    const char* meaning;  // what its value measures, for `info` and the options' help
    // Whether calibration sets its scale; the not-a-class term's nats are on the residuals'
    // scale already (its scale is 1 and no file records one).
    bool scaled;
};

constexpr ShapeTermNames names_of(ShapeTerm term) {
    switch (term) {
        case ShapeTerm::NotAClass:
            return {"not a digit", "digit", "-log P(a normal class), from D's class head", false};
        case ShapeTerm::Density:
            return {"density", "density", "the squared Mahalanobis distance of D's features to the nearest normal class",
                    true};
        case ShapeTerm::Realness:
            return {"realness", "realness", "-log sigmoid(D's realness logit of the reconstruction)", true};
        case ShapeTerm::Reader:
            return {"reader", "reader", "the class readers' doubt that the image is of a normal class", true};
    }
    return {"", "", "", false};
}

struct TermWeight {
    float weight = 0.0f;  // of the term in its channel, in units of scale
    // Set by calibration so that the weight reads on the residuals' scale: the spread (95th
    // percentile less median) of the held-out normal images' pixel + feature + not-a-class
    // parts over that of the term's values; 0 until then.
    float scale = 0.0f;
};

// docs/decisions.md says how each default weight was chosen, without test labels.
struct ScoreTerms {
    float kappa = 1.0f;  // the feature residual's weight in the stroke channel (and in the encoder's loss)
    std::array<TermWeight, kShapeTerms.size()> shape = {{{1.0f, 1.0f}, {0.25f, 0.0f}, {0.0f, 0.0f}, {1.0f, 0.0f}}};

    TermWeight& operator[](ShapeTerm term) { return shape[static_cast<size_t>(term)]; }
    const TermWeight& operator[](ShapeTerm term) const { return shape[static_cast<size_t>(term)]; }
};

}  // namespace oddigit
