#pragma once
// The canvas calibration's images: normal digits as the app's canvas would draw them, on which
// training sets the Draw view's thresholds (oddigit/train.h's PreparedImages). A drawing has
// even strokes of the pen's width and no blots or breaks, so MNIST's worst held-out digits,
// whose odd strokes set the MNIST thresholds, say little about how odd a drawing may look
// (docs/decisions.md, "A canvas calibration"). The redrawing is ours alone: it shares no
// template or generator with the drawn protocol.
#include <cstdint>

#include "oddigit/image.h"

namespace oddigit {

struct RedrawParams {
    float min_size = 140;  // the ink's longer side on the 280-pixel paper, drawn uniformly in [min, max]
    float max_size = 240;
    float min_pen = 12;    // pen diameter in paper pixels, drawn uniformly in [min, max] (the canvas's default: 18)
    float max_pen = 24;
    uint64_t seed = 1;
};

// Returns each digit redrawn: cropped to its ink, scaled up onto the canvas's paper, made binary
// at half intensity, thinned to one-pixel strokes (Zhang-Suen), drawn again with the canvas's
// round pen (render_drawing() of oddigit/drawing.h) and put through the app's MNIST preprocessing.
// A digit with no pixel at half intensity has no strokes and is left out. Never throws for
// images in [0, 1].
ImageBatch redraw_as_drawn(const ImageBatch& digits, const RedrawParams& params = {});

}  // namespace oddigit
