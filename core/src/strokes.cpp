#include "oddigit/strokes.h"

#include <algorithm>
#include <cmath>
#include <random>

namespace oddigit {

namespace {
// Width of a foreign stroke in pixels, about that of an MNIST pen stroke.
constexpr int kStrokeWidth = 2;
constexpr int kMinLength = 8;
constexpr int kMaxLength = 18;
constexpr double kPi = 3.14159265358979323846;
}  // namespace

Image28 draw_stroke(float* image, int x0, int y0, int x1, int y1) {
    Image28 mask{};
    const int steps = 4 * std::max(std::abs(x1 - x0), std::abs(y1 - y0)) + 1;
    for (int s = 0; s <= steps; ++s) {
        const double t = static_cast<double>(s) / steps;
        const int x = static_cast<int>(std::lround(x0 + t * (x1 - x0)));
        const int y = static_cast<int>(std::lround(y0 + t * (y1 - y0)));
        for (int dy = 0; dy < kStrokeWidth; ++dy) {
            for (int dx = 0; dx < kStrokeWidth; ++dx) {
                const int px = x + dx, py = y + dy;
                if (px < 0 || py < 0 || px >= kImageSide || py >= kImageSide) continue;
                image[py * kImageSide + px] = 1.0f;
                mask[py * kImageSide + px] = 1.0f;
            }
        }
    }
    return mask;
}

Image28 draw_random_stroke(float* image, uint64_t seed) {
    std::mt19937_64 random(seed);
    std::uniform_int_distribution<int> start(2, kImageSide - 4);
    std::uniform_real_distribution<double> angle(0, 2 * kPi);
    std::uniform_int_distribution<int> length(kMinLength, kMaxLength);
    const int x0 = start(random), y0 = start(random);
    const double a = angle(random);
    const int l = length(random);
    const int x1 = std::clamp(static_cast<int>(std::lround(x0 + l * std::cos(a))), 0, kImageSide - kStrokeWidth);
    const int y1 = std::clamp(static_cast<int>(std::lround(y0 + l * std::sin(a))), 0, kImageSide - kStrokeWidth);
    return draw_stroke(image, x0, y0, x1, y1);
}

}  // namespace oddigit
