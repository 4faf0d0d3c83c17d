#include "oddigit/strokes.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace oddigit {

namespace {
// Width of a foreign stroke in pixels, about that of an MNIST pen stroke.
constexpr int kStrokeWidth = 2;
constexpr int kMinLength = 8;
constexpr int kMaxLength = 18;
constexpr double kPi = 3.14159265358979323846;
// The varied generator: pen width and ink ranges, where its shapes sit, and how finely a
// shape's path is sampled into segments.
constexpr double kMinVariedWidth = 1.2;
constexpr double kMaxVariedWidth = 3.5;
constexpr double kMinInk = 0.5;
constexpr double kMaxInk = 1.0;
constexpr double kMinCentre = 6;
constexpr double kMaxCentre = 21;
constexpr int kPathPoints = 48;
// The eraser's width and length range, in pixels.
constexpr double kEraserWidth = 3;
constexpr double kMinEraserLength = 6;
constexpr double kMaxEraserLength = 12;

struct Point {
    double x, y;
};

double distance_to_segment(Point p, Point a, Point b) {
    const double dx = b.x - a.x, dy = b.y - a.y;
    const double length_squared = dx * dx + dy * dy;
    const double t = length_squared > 0 ? std::clamp(((p.x - a.x) * dx + (p.y - a.y) * dy) / length_squared, 0.0, 1.0) : 0.0;
    return std::hypot(p.x - (a.x + t * dx), p.y - (a.y + t * dy));
}

// An arc (a quadratic Bezier curve bent to either side), a hook (two legs meeting at an
// angle) or a small closed loop, around centre.
std::vector<Point> random_path(std::mt19937_64& random, Point centre) {
    std::uniform_real_distribution<double> unit(0, 1);
    const double direction = 2 * kPi * unit(random);
    std::vector<Point> path;
    switch (std::uniform_int_distribution<int>(0, 2)(random)) {
        case 0: {
            const double reach = 4 + 5 * unit(random), bend = reach * (2 * unit(random) - 1);
            const Point start{centre.x + reach * std::cos(direction), centre.y + reach * std::sin(direction)};
            const Point end{centre.x - reach * std::cos(direction), centre.y - reach * std::sin(direction)};
            const Point control{centre.x - 2 * bend * std::sin(direction), centre.y + 2 * bend * std::cos(direction)};
            for (int i = 0; i < kPathPoints; ++i) {
                const double t = static_cast<double>(i) / (kPathPoints - 1);
                path.push_back({(1 - t) * (1 - t) * start.x + 2 * t * (1 - t) * control.x + t * t * end.x,
                                (1 - t) * (1 - t) * start.y + 2 * t * (1 - t) * control.y + t * t * end.y});
            }
            break;
        }
        case 1: {
            const double turn = kPi / 3 + kPi / 2 * unit(random);
            const double first = 4 + 5 * unit(random), second = 3 + 4 * unit(random);
            path.push_back({centre.x + first * std::cos(direction), centre.y + first * std::sin(direction)});
            path.push_back(centre);
            path.push_back({centre.x + second * std::cos(direction + turn), centre.y + second * std::sin(direction + turn)});
            break;
        }
        default: {
            const double across = 2 + 3 * unit(random), along = 2 + 3 * unit(random);
            for (int i = 0; i <= kPathPoints; ++i) {
                const double a = 2 * kPi * i / kPathPoints;
                const double x = across * std::cos(a), y = along * std::sin(a);
                path.push_back({centre.x + x * std::cos(direction) - y * std::sin(direction),
                                centre.y + x * std::sin(direction) + y * std::cos(direction)});
            }
        }
    }
    return path;
}
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

Image28 draw_varied_stroke(float* image, uint64_t seed) {
    std::mt19937_64 random(seed);
    std::uniform_real_distribution<double> centre(kMinCentre, kMaxCentre);
    const Point middle{centre(random), centre(random)};
    const std::vector<Point> path = random_path(random, middle);
    const double width = std::uniform_real_distribution<double>(kMinVariedWidth, kMaxVariedWidth)(random);
    const double ink = std::uniform_real_distribution<double>(kMinInk, kMaxInk)(random);
    Image28 mask{};
    for (int y = 0; y < kImageSide; ++y)
        for (int x = 0; x < kImageSide; ++x) {
            double distance = 1e9;
            for (size_t i = 1; i < path.size(); ++i)
                distance = std::min(distance, distance_to_segment({double(x), double(y)}, path[i - 1], path[i]));
            // The share of the pixel the pen covers, by the distance of its centre to the path.
            const double coverage = std::clamp(width / 2 + 0.5 - distance, 0.0, 1.0);
            float& pixel = image[y * kImageSide + x];
            pixel = std::max(pixel, static_cast<float>(ink * coverage));
            mask[y * kImageSide + x] = coverage >= 0.5 ? 1.0f : 0.0f;
        }
    return mask;
}

Image28 erase_random_stroke(float* image, uint64_t seed) {
    std::mt19937_64 random(seed);
    std::vector<Point> inked;
    for (int y = 0; y < kImageSide; ++y)
        for (int x = 0; x < kImageSide; ++x)
            if (image[y * kImageSide + x] >= 0.5f) inked.push_back({double(x), double(y)});
    const Point middle = inked.empty()
                             ? Point{kImageSide / 2.0, kImageSide / 2.0}
                             : inked[std::uniform_int_distribution<size_t>(0, inked.size() - 1)(random)];
    const double direction = std::uniform_real_distribution<double>(0, 2 * kPi)(random);
    const double half_length =
        std::uniform_real_distribution<double>(kMinEraserLength, kMaxEraserLength)(random) / 2;
    const Point start{middle.x - half_length * std::cos(direction), middle.y - half_length * std::sin(direction)};
    const Point end{middle.x + half_length * std::cos(direction), middle.y + half_length * std::sin(direction)};
    Image28 mask{};
    for (int y = 0; y < kImageSide; ++y)
        for (int x = 0; x < kImageSide; ++x) {
            const double coverage =
                std::clamp(kEraserWidth / 2 + 0.5 - distance_to_segment({double(x), double(y)}, start, end), 0.0, 1.0);
            image[y * kImageSide + x] *= static_cast<float>(1 - coverage);
            mask[y * kImageSide + x] = coverage >= 0.5 ? 1.0f : 0.0f;
        }
    return mask;
}

}  // namespace oddigit
