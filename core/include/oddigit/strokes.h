#pragma once
// Synthetic foreign strokes on real digits, for the localization protocol and tests.
#include <cstdint>

#include "oddigit/image.h"

namespace oddigit {

// Draws a straight stroke, 2 pixels wide, from (x0, y0) to (x1, y1) into image (ink = 1).
// Returns the mask of the pixels it covers (1 inside, 0 outside).
Image28 draw_stroke(float* image, int x0, int y0, int x1, int y1);

// Draws a random straight stroke 8 to 18 pixels long somewhere in the 28x28 field.
// Returns its mask as draw_stroke does.
Image28 draw_random_stroke(float* image, uint64_t seed);

}  // namespace oddigit
