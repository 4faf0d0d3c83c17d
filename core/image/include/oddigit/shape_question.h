#pragma once
// The shape question, "is this a digit at all?", asked of real non-digit handwriting: the
// Omniglot choice set (../shared/eval-data/omniglot) against the model's held-out digits, and
// the pipeline control (oddigit/rescan.h). The rule that reads it is in docs/decisions.md ("A
// digit reader for the shape channel, judged on real non-digits").
#include <string>
#include <vector>

#include "oddigit/image.h"
#include "oddigit/model.h"

namespace oddigit {

struct ShapeSetRate {
    std::string name;             // an alphabet, or a pipeline variant
    int images = 0;
    double shape_auroc = -1;      // its shape ratios against the redrawn held-out digits'; -1 for a pipeline variant
    double flagged = 0;           // at the model's thresholds (MNIST calibration)
};

struct ShapeQuestionReport {
    int held_out = 0;                // the model's held-out digits
    int characters = 0;              // the non-digits
    // The criterion: the shape channel's AUROC, characters against the held-out digits redrawn
    // as the characters were drawn; beside it, against the plain held-out digits, and the fused
    // score's AUROC against the redrawn digits.
    double shape_auroc_vs_redrawn = 0;
    double shape_auroc_vs_plain = 0;
    double fused_auroc_vs_redrawn = 0;
    double characters_flagged = 0;   // at the model's thresholds
    double held_out_flagged = 0;     // the plain held-out digits: the calibration's 5 %
    // With real digits rendered as the characters were (the UNIPEN digits of the choice set):
    // the shape channel's and the fused score's AUROC of the characters against them, and the
    // share of them flagged; -1 without them.
    int digits = 0;
    double shape_auroc_vs_digits = -1;
    double fused_auroc_vs_digits = -1;
    double digits_flagged = -1;
    std::vector<ShapeSetRate> groups;     // per alphabet (the file name's part before the first '-')
    std::vector<ShapeSetRate> pipelines;  // the pipeline control, one per oddigit/rescan.h variant
};

// characters: the non-digits, preprocessed as image files are (load_inputs()), with the file
// names that tell their groups; held_out: the model's held-out normal digits; digits: real
// digits rendered as the characters were, or none. Throws Error when held_out or characters is
// empty.
ShapeQuestionReport run_shape_question(const AnomalyModel& model, const ImageBatch& held_out, const ImageBatch& characters,
                                       const std::vector<std::string>& names, const ImageBatch& digits = {});

}  // namespace oddigit
