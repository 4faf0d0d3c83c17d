#include "oddigit/preprocess.h"

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "folder_listing.h"
#include "oddigit/error.h"
#include "oddigit/idx.h"

namespace oddigit {

namespace {

constexpr double kCentre = kImageSide / 2;
// Decides light paper: the median brightness of the border, on the 0..255 scale.
constexpr int kMidGrey = 128;

bool light_paper(const cv::Mat& gray) {
    std::vector<uint8_t> border;
    for (int x = 0; x < gray.cols; ++x) {
        border.push_back(gray.at<uint8_t>(0, x));
        border.push_back(gray.at<uint8_t>(gray.rows - 1, x));
    }
    for (int y = 0; y < gray.rows; ++y) {
        border.push_back(gray.at<uint8_t>(y, 0));
        border.push_back(gray.at<uint8_t>(y, gray.cols - 1));
    }
    std::nth_element(border.begin(), border.begin() + border.size() / 2, border.end());
    return border[border.size() / 2] >= kMidGrey;
}

// The formats we hand to OpenCV, known by their first bytes. OpenCV would also try DICOM,
// JPEG 2000, OpenEXR and others, whose decoders can abort the process on a crafted file
// (fuzzing found a GDCM assertion): those are refused before any decoder sees them.
bool has_known_image_signature(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    std::array<unsigned char, 12> head{};
    file.read(reinterpret_cast<char*>(head.data()), head.size());
    const size_t got = static_cast<size_t>(file.gcount());
    const auto starts = [&](std::initializer_list<unsigned char> prefix, size_t at = 0) {
        return got >= at + prefix.size() && std::equal(prefix.begin(), prefix.end(), head.begin() + at);
    };
    return starts({0x89, 'P', 'N', 'G'}) || starts({0xFF, 0xD8, 0xFF}) || starts({'B', 'M'}) ||
           starts({'P', '2'}) || starts({'P', '5'}) || starts({'I', 'I', 42, 0}) || starts({'M', 'M', 0, 42}) ||
           (starts({'R', 'I', 'F', 'F'}) && starts({'W', 'E', 'B', 'P'}, 8));
}

}  // namespace

Image28 to_mnist(const GrayImage& image, const PreprocessParams& params, MnistPlacement* placement) {
    if (image.width <= 0 || image.height <= 0 ||
        image.pixels.size() != static_cast<size_t>(image.width) * image.height)
        throw Error("image size " + std::to_string(image.width) + "x" + std::to_string(image.height) +
                    " does not match its " + std::to_string(image.pixels.size()) + " pixels");
    const cv::Mat gray(image.height, image.width, CV_8UC1, const_cast<uint8_t*>(image.pixels.data()));
    cv::Mat ink;
    gray.convertTo(ink, CV_32F, 1.0 / 255.0);
    if (params.auto_invert && light_paper(gray)) ink = 1.0 - ink;

    Image28 result{};
    cv::Mat mask;
    cv::compare(ink, params.ink_threshold, mask, cv::CMP_GT);
    const cv::Rect box = cv::boundingRect(mask);
    if (box.area() == 0) {
        if (placement) *placement = MnistPlacement{};
        return result;
    }

    const cv::Mat crop = ink(box);
    const double scale = static_cast<double>(params.fit_size) / std::max(box.width, box.height);
    const cv::Size fitted(std::max(1, static_cast<int>(std::lround(box.width * scale))),
                          std::max(1, static_cast<int>(std::lround(box.height * scale))));
    cv::Mat scaled;
    cv::resize(crop, scaled, fitted, 0, 0, scale < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);

    const cv::Moments moments = cv::moments(scaled);
    const double centre_x = moments.m00 > 0 ? moments.m10 / moments.m00 : scaled.cols / 2.0;
    const double centre_y = moments.m00 > 0 ? moments.m01 / moments.m00 : scaled.rows / 2.0;
    // MNIST puts the centre of mass on pixel (14, 14), measured in pixel indices.
    const cv::Mat shift = (cv::Mat_<double>(2, 3) << 1, 0, kCentre - centre_x, 0, 1, kCentre - centre_y);
    if (placement) {
        placement->scale = static_cast<double>(fitted.width) / box.width;
        placement->offset_x = kCentre - centre_x - box.x * placement->scale;
        placement->offset_y = kCentre - centre_y - box.y * placement->scale;
    }
    cv::Mat placed(kImageSide, kImageSide, CV_32F, result.data());
    cv::warpAffine(scaled, placed, shift, placed.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT, 0);
    for (float& pixel : result) pixel = std::clamp(pixel, 0.0f, 1.0f);
    return result;
}

GrayImage load_gray_image(const std::string& path) {
    if (!has_known_image_signature(path))
        throw Error("cannot read '" + path + "' as an image: it is not a PNG, JPEG, BMP, PGM, TIFF or WebP file");
    cv::Mat gray;
    try {
        gray = cv::imread(path, cv::IMREAD_GRAYSCALE);
    } catch (const cv::Exception& error) {
        throw Error("cannot read '" + path + "' as an image: " + error.what());
    }
    if (gray.empty()) throw Error("cannot read '" + path + "' as an image (PNG, JPEG, BMP, ...)");
    GrayImage image;
    image.width = gray.cols;
    image.height = gray.rows;
    image.pixels.assign(gray.data, gray.data + gray.total());
    if (!gray.isContinuous()) {
        image.pixels.clear();
        for (int y = 0; y < gray.rows; ++y) image.pixels.insert(image.pixels.end(), gray.ptr<uint8_t>(y), gray.ptr<uint8_t>(y) + gray.cols);
    }
    return image;
}

LoadedImages load_inputs(const std::string& path, const PreprocessParams& params) {
    namespace fs = std::filesystem;
    LoadedImages loaded;
    std::error_code error;
    if (fs::is_directory(path, error)) {
        std::vector<fs::path> files = detail::list_folder(path, detail::kImageExtensions).files;
        std::sort(files.begin(), files.end());
        if (files.empty()) throw Error("no image files (PNG, JPEG, ...) in the folder '" + path + "'");
        for (const fs::path& file : files) {
            const Image28 image = to_mnist(load_gray_image(file.string()), params);
            loaded.images.append(image.data());
            loaded.names.push_back(file.filename().string());
        }
        return loaded;
    }
    if (!fs::exists(path, error)) throw Error("'" + path + "' does not exist");
    if (detail::has_extension(path, detail::kImageExtensions)) {
        const Image28 image = to_mnist(load_gray_image(path), params);
        loaded.images.append(image.data());
        loaded.names.push_back(fs::path(path).filename().string());
        return loaded;
    }
    loaded.images = read_idx_images(path);
    const std::string name = fs::path(path).filename().string();
    for (int64_t i = 0; i < loaded.images.size(); ++i) loaded.names.push_back(name + "#" + std::to_string(i));
    return loaded;
}

void write_score_picture(const std::string& path, const Image28& input, const ImageScore& score, float heat_full_scale) {
    // Each 28x28 panel is drawn this many times larger.
    constexpr int kZoom = 6;
    const auto gray = [](const Image28& image) {
        cv::Mat pixels(kImageSide, kImageSide, CV_32F, const_cast<float*>(image.data()));
        cv::Mat bytes, large, colour;
        pixels.convertTo(bytes, CV_8U, 255.0);
        cv::resize(bytes, large, {}, kZoom, kZoom, cv::INTER_NEAREST);
        cv::cvtColor(large, colour, cv::COLOR_GRAY2BGR);
        return colour;
    };
    cv::Mat heat(kImageSide, kImageSide, CV_32F, const_cast<float*>(score.heatmap.data()));
    cv::Mat heat_bytes, heat_large, heat_colour;
    heat.convertTo(heat_bytes, CV_8U, 255.0 / heat_full_scale);
    cv::resize(heat_bytes, heat_large, {}, kZoom, kZoom, cv::INTER_NEAREST);
    cv::applyColorMap(heat_large, heat_colour, cv::COLORMAP_HOT);
    cv::Mat picture;
    cv::hconcat(std::vector<cv::Mat>{gray(input), gray(score.reconstruction), heat_colour}, picture);
    bool written = false;
    try {
        written = cv::imwrite(path, picture);
    } catch (const cv::Exception& error) {
        throw Error("cannot write '" + path + "': " + error.what());
    }
    if (!written) throw Error("cannot write '" + path + "'");
}

}  // namespace oddigit
