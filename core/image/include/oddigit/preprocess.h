#pragma once
// MNIST-style preprocessing for images from outside MNIST (files, the drawing canvas):
// grayscale, dark-on-light inverted to light ink on dark, cropped to the ink, fitted into
// 20x20 keeping the aspect ratio, and centred by its centre of mass in 28x28 — the steps
// LeCun et al. used to make MNIST. No OpenCV type crosses this header.
#include <cstdint>
#include <string>
#include <vector>

#include "oddigit/image.h"
#include "oddigit/model.h"

namespace oddigit {

// 8-bit grayscale, row-major, 0 = black, 255 = white.
struct GrayImage {
    int width = 0;
    int height = 0;
    std::vector<uint8_t> pixels;
};

struct PreprocessParams {
    int fit_size = 20;           // the ink's longer side after scaling, as in MNIST
    bool auto_invert = true;     // invert when the paper (the border) is lighter than mid-grey
    float ink_threshold = 0.1f;  // ink darker than this (0..1) does not count for the crop
};

// Where the source image landed in the 28x28 field: source pixel (x, y) maps to
// (x * scale + offset_x, y * scale + offset_y). Lets a heatmap be drawn back over the source.
struct MnistPlacement {
    double scale = 0;  // 0 when the image had no ink
    double offset_x = 0;
    double offset_y = 0;
};

// Returns the image in MNIST format. An image without ink gives a blank (all-zero) image.
// When placement is given, it receives where the source went.
// Throws Error when the size does not match the pixel count.
Image28 to_mnist(const GrayImage& image, const PreprocessParams& params = {}, MnistPlacement* placement = nullptr);

// Reads a PNG, JPEG, BMP, PGM, TIFF or WebP image, as grayscale; other formats OpenCV knows
// are refused by their first bytes, before a decoder sees them. Throws Error when the file is
// missing, of another format or not decodable.
GrayImage load_gray_image(const std::string& path);

struct LoadedImages {
    ImageBatch images;
    std::vector<std::string> names;  // the file each image came from (for IDX: "file#index")
};

// Loads model inputs from an IDX image file (plain or .gz, used as is), one image file
// (preprocessed), or a folder of image files (preprocessed, in name order).
// Throws Error when nothing can be read; a folder with no image in it is an Error too.
LoadedImages load_inputs(const std::string& path, const PreprocessParams& params = {});

// Writes a PNG of three panels, each scaled up: the input, the reconstruction, and the
// heatmap in the "hot" colormap, full colour at heat_full_scale (ModelInfo::heat_full_scale).
// Throws Error when the file cannot be written.
void write_score_picture(const std::string& path, const Image28& input, const ImageScore& score, float heat_full_scale);

}  // namespace oddigit
