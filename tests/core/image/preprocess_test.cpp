#include "oddigit/preprocess.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <opencv2/imgcodecs.hpp>

#include "oddigit/error.h"
#include "oddigit/idx.h"
#include "test_support.h"

namespace oddigit {
namespace {

struct Moments {
    double mass = 0, x = 0, y = 0;
};

Moments moments(const Image28& image) {
    Moments m;
    for (int y = 0; y < kImageSide; ++y)
        for (int x = 0; x < kImageSide; ++x) {
            const double v = image[y * kImageSide + x];
            m.mass += v;
            m.x += v * x;
            m.y += v * y;
        }
    m.x /= m.mass;
    m.y /= m.mass;
    return m;
}

// A MNIST digit drawn the way a person scans one: dark ink on white paper, 8x larger,
// off-centre on a wide page.
GrayImage scanned(const float* digit, int scale, int page_width, int page_height, int left, int top) {
    GrayImage page{page_width, page_height, std::vector<uint8_t>(size_t(page_width) * page_height, 255)};
    for (int y = 0; y < kImageSide * scale; ++y)
        for (int x = 0; x < kImageSide * scale; ++x)
            page.pixels[size_t(top + y) * page_width + left + x] =
                static_cast<uint8_t>(255 - 255 * digit[(y / scale) * kImageSide + x / scale]);
    return page;
}

double correlation(const float* a, const float* b) {
    double ma = 0, mb = 0;
    for (int i = 0; i < kImagePixels; ++i) ma += a[i], mb += b[i];
    ma /= kImagePixels;
    mb /= kImagePixels;
    double ab = 0, aa = 0, bb = 0;
    for (int i = 0; i < kImagePixels; ++i) {
        ab += (a[i] - ma) * (b[i] - mb);
        aa += (a[i] - ma) * (a[i] - ma);
        bb += (b[i] - mb) * (b[i] - mb);
    }
    return ab / std::sqrt(aa * bb);
}

TEST(Preprocess, ScannedMnistDigitsComeBackLikeTheOriginals) {
    const ImageBatch digits = test::test_digits(ClassSet::all(), 30);
    double total = 0;
    for (int64_t i = 0; i < digits.size(); ++i) {
        const Image28 result = to_mnist(scanned(digits.image(i), 8, 400, 300, 37 + 3 * i, 51));
        const Moments m = moments(result);
        EXPECT_NEAR(m.x, 14.0, 0.5);
        EXPECT_NEAR(m.y, 14.0, 0.5);
        total += correlation(result.data(), digits.image(i));
    }
    EXPECT_GT(total / digits.size(), 0.85);
}

TEST(Preprocess, FitsTheInkInto20PixelsKeepingTheAspect) {
    // A tall dark bar, 40 x 160 pixels, near a corner of a light page.
    GrayImage page{300, 300, std::vector<uint8_t>(300 * 300, 240)};
    for (int y = 10; y < 170; ++y)
        for (int x = 200; x < 240; ++x) page.pixels[y * 300 + x] = 20;
    const Image28 result = to_mnist(page);
    int top = kImageSide, bottom = -1, left = kImageSide, right = -1;
    for (int y = 0; y < kImageSide; ++y)
        for (int x = 0; x < kImageSide; ++x)
            if (result[y * kImageSide + x] > 0.5f) {
                top = std::min(top, y), bottom = std::max(bottom, y);
                left = std::min(left, x), right = std::max(right, x);
            }
    EXPECT_NEAR(bottom - top + 1, 20, 1);
    EXPECT_NEAR(right - left + 1, 5, 1);
    EXPECT_NEAR(moments(result).x, 14.0, 0.5);
    EXPECT_NEAR(moments(result).y, 14.0, 0.5);
}

TEST(Preprocess, LightInkOnDarkIsKeptAndBlankStaysBlank) {
    const ImageBatch digits = test::test_digits(ClassSet::single(3), 1);
    GrayImage dark{28, 28, std::vector<uint8_t>(kImagePixels)};
    for (int i = 0; i < kImagePixels; ++i) dark.pixels[i] = static_cast<uint8_t>(255 * digits.image(0)[i]);
    EXPECT_GT(correlation(to_mnist(dark).data(), digits.image(0)), 0.9);

    const Image28 blank = to_mnist(GrayImage{50, 40, std::vector<uint8_t>(2000, 255)});
    for (float p : blank) EXPECT_EQ(p, 0.0f);
    EXPECT_THROW(to_mnist(GrayImage{10, 10, std::vector<uint8_t>(5)}), Error);
}

TEST(LoadInputs, ReadsImagesFoldersAndIdxAndRejectsNonImages) {
    const std::string dir = test::scratch_dir();
    const ImageBatch digits = test::test_digits(ClassSet::all(), 3);
    for (int i = 0; i < 3; ++i) {
        const GrayImage page = scanned(digits.image(i), 4, 150, 140, 10, 12);
        cv::Mat mat(page.height, page.width, CV_8UC1, const_cast<uint8_t*>(page.pixels.data()));
        cv::imwrite(dir + "/digit" + std::to_string(i) + ".png", mat);
    }
    std::ofstream(dir + "/notes.txt") << "not an image";
    const LoadedImages folder = load_inputs(dir);
    ASSERT_EQ(folder.images.size(), 3);
    EXPECT_EQ(folder.names[1], "digit1.png");
    EXPECT_GT(correlation(folder.images.image(1), digits.image(1)), 0.85);

    EXPECT_EQ(load_inputs(dir + "/digit2.png").images.size(), 1);
    write_idx_images(dir + "/three.idx", digits);
    const LoadedImages idx = load_inputs(dir + "/three.idx");
    EXPECT_EQ(idx.images.pixels, digits.pixels);
    EXPECT_EQ(idx.names[2], "three.idx#2");

    std::ofstream(dir + "/fake.png") << "this is text, not a PNG";
    EXPECT_THROW(load_gray_image(dir + "/fake.png"), Error);
    EXPECT_THROW(load_inputs(dir + "/notes.txt"), Error);
    EXPECT_THROW(load_inputs(dir + "/missing.png"), Error);
    EXPECT_THROW(load_inputs(test::scratch_dir()), Error);
}

// Found by fuzz_image: a file that OpenCV takes for DICOM made GDCM abort the process.
// Formats other than the ones we read are now refused before any decoder sees them.
TEST(LoadInputs, RefusesFormatsItDoesNotReadBeforeDecodingThem) {
    const std::string crash =
        "42000000300000f912eff7014d66010000000000003500000028000000ff000000020000000018010000000000300000f912eff7"
        "01130b4000000000003100ff0000000036ffffff000000ffffffffbfffffffffffffff00000000ff2d636f72657373696f6e"
        "ffffab7e5000f061ffff5f5f5f000200000000bdbdbdbdbd00004449434d13";
    std::string bytes;
    for (size_t i = 0; i < crash.size(); i += 2) bytes.push_back(static_cast<char>(std::stoi(crash.substr(i, 2), nullptr, 16)));
    const std::string path = test::scratch_dir() + "/crash.png";
    std::ofstream(path, std::ios::binary) << bytes;
    try {
        load_inputs(path);
        ADD_FAILURE() << "a DICOM-like file was decoded";
    } catch (const Error& error) {
        EXPECT_NE(std::string(error.what()).find("not a PNG, JPEG"), std::string::npos) << error.what();
    }
}

}  // namespace
}  // namespace oddigit
