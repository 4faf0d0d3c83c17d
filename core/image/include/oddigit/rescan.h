#pragma once
// Digits as other scanning pipelines would have given them: the shape question's pipeline
// control (docs/decisions.md, "A digit reader for the shape channel, judged on real
// non-digits"). Each variant starts from a 28x28 digit and ends framed as MNIST was
// (oddigit/preprocess.h), so only the pipeline differs. Sets of our own, for bounds and
// criteria; nothing here feeds training but the reader's feature bank.
#include <cstdint>
#include <string>
#include <vector>

#include "oddigit/image.h"

namespace oddigit {

enum class Rescan {
    Blurred,     // a Gaussian blur (sigma 1) at 128 pixels before the framing, as EMNIST was made
    Coarse,      // a 16x16 round trip: a coarser scanner
    Thumbnail,   // drawn 10x larger, then shrunk to the frame as a thumbnail is
    ThickerPen,  // the ink dilated by a third of its stroke width, at 8x
    ThinnerPen,  // eroded by a third
    Redrawn,     // thinned to a skeleton and drawn again with a round binary pen of 10-17 % of the digit's longer side
};

// Every variant, in the order above.
std::vector<Rescan> all_rescans();
// "blurred", "coarse 16x16", "thumbnail", "pen a third thicker", "pen a third thinner", "redrawn".
std::string rescan_name(Rescan rescan);

// Each digit through the pipeline; a digit left without ink (a faint one thinned away) stays as
// it was, so the batch keeps its order and size. The redrawing's pens are drawn from seed.
ImageBatch rescanned(const ImageBatch& digits, Rescan rescan, uint64_t seed = 1);

// The digits through every pipeline, one batch after another in all_rescans()' order: the digit
// readers' bank rescans (oddigit/train.h's PreparedImages::bank_rescans).
ImageBatch bank_rescans(const ImageBatch& digits);

}  // namespace oddigit
