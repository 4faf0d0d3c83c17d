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

// A second generator, written apart from the first so that no setting is chosen on one
// generator's quirks: a random arc, hook or small loop, 1.2 to 3.5 pixels wide, with ink of
// 0.5 to 1, anti-aliased, laid over the image (the brighter ink wins). Returns the mask of
// the pixels it inks at least half.
Image28 draw_varied_stroke(float* image, uint64_t seed);

// The other half of an odd stroke, ink that is missing: wipes the image under a straight
// eraser 3 pixels wide and 6 to 12 pixels long, centred on a random pixel with at least half
// ink (the field's centre when there is none), at a random angle, anti-aliased. Returns the
// mask of the pixels it wipes at least half.
Image28 erase_random_stroke(float* image, uint64_t seed);

// Which of them the localization protocol draws.
enum class StrokeStyle { Straight, Varied, Erased };

}  // namespace oddigit
