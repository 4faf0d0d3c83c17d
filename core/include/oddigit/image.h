#pragma once
// Plain image containers shared by every part of the engine and the GUI.
// Pixels are float in [0, 1], 0 = paper, 1 = ink (MNIST's convention), row-major.
#include <array>
#include <cstdint>
#include <vector>

namespace oddigit {

constexpr int kImageSide = 28;
constexpr int kImagePixels = kImageSide * kImageSide;

using Image28 = std::array<float, kImagePixels>;

// A batch of 28x28 images stored contiguously: image i starts at pixels[i * kImagePixels].
struct ImageBatch {
    std::vector<float> pixels;

    int64_t size() const { return static_cast<int64_t>(pixels.size() / kImagePixels); }
    bool empty() const { return pixels.empty(); }
    const float* image(int64_t i) const { return pixels.data() + i * kImagePixels; }
    float* image(int64_t i) { return pixels.data() + i * kImagePixels; }
    void append(const float* image) { pixels.insert(pixels.end(), image, image + kImagePixels); }
    Image28 at(int64_t i) const;
};

struct LabelledImages {
    ImageBatch images;
    std::vector<uint8_t> labels;  // one per image

    // Drops every image (and label) after the first count.
    void keep_first(int64_t count);
};

}  // namespace oddigit
