#include "oddigit/rescan.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <opencv2/ximgproc.hpp>

#include "oddigit/canvas_calibration.h"
#include "oddigit/preprocess.h"
#include "parallel_images.h"

namespace oddigit {

namespace {

// The Omniglot set's pen: a share of the character's longer side, drawn uniformly.
constexpr float kRedrawSize = 200;
constexpr float kRedrawMinPenShare = 0.10f;
constexpr float kRedrawMaxPenShare = 0.17f;

cv::Mat upscaled(const float* digit, int side, int interpolation) {
    const cv::Mat image(kImageSide, kImageSide, CV_32FC1, const_cast<float*>(digit));
    cv::Mat large;
    cv::resize(image, large, cv::Size(side, side), 0, 0, interpolation);
    return cv::max(cv::min(large, 1.0), 0.0);
}

// Light ink on black, as 8-bit, framed as MNIST was.
Image28 framed(const cv::Mat& ink) {
    cv::Mat bytes;
    ink.convertTo(bytes, CV_8U, 255.0);
    GrayImage gray{bytes.cols, bytes.rows, {}};
    gray.pixels.assign(bytes.data, bytes.data + bytes.total());
    return to_mnist(gray);
}

// A pen a third thicker (or thinner): the stroke width is twice the mean distance from the
// skeleton to the paper, at 8x.
Image28 repenned(const float* digit, bool thicker) {
    constexpr int kScale = 8;
    const cv::Mat large = upscaled(digit, kImageSide * kScale, cv::INTER_CUBIC);
    cv::Mat binary, skeleton, distance;
    cv::compare(large, 0.5, binary, cv::CMP_GE);
    cv::distanceTransform(binary, distance, cv::DIST_L2, 3);
    cv::ximgproc::thinning(binary, skeleton, cv::ximgproc::THINNING_ZHANGSUEN);
    const double half_width = cv::mean(distance, skeleton)[0];
    const int diameter = std::max(1, static_cast<int>(std::lround(2 * half_width / 3)));
    const cv::Mat pen = cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(diameter, diameter));
    cv::Mat changed;
    if (thicker)
        cv::dilate(large, changed, pen);
    else
        cv::erode(large, changed, pen);
    return framed(changed);
}

Image28 rescanned_one(const float* digit, Rescan rescan) {
    switch (rescan) {
        case Rescan::Blurred: {
            cv::Mat blurred;
            cv::GaussianBlur(upscaled(digit, 128, cv::INTER_CUBIC), blurred, cv::Size(0, 0), 1.0);
            return framed(blurred);
        }
        case Rescan::Coarse: {
            const cv::Mat image(kImageSide, kImageSide, CV_32FC1, const_cast<float*>(digit));
            cv::Mat coarse;
            cv::resize(image, coarse, cv::Size(16, 16), 0, 0, cv::INTER_AREA);
            return framed(coarse);
        }
        case Rescan::Thumbnail: return framed(upscaled(digit, kImageSide * 10, cv::INTER_CUBIC));
        case Rescan::ThickerPen: return repenned(digit, true);
        case Rescan::ThinnerPen: return repenned(digit, false);
        case Rescan::Redrawn: break;
    }
    return {};
}

}  // namespace

std::vector<Rescan> all_rescans() {
    return {Rescan::Blurred, Rescan::Coarse, Rescan::Thumbnail, Rescan::ThickerPen, Rescan::ThinnerPen, Rescan::Redrawn};
}

std::string rescan_name(Rescan rescan) {
    switch (rescan) {
        case Rescan::Blurred: return "blurred";
        case Rescan::Coarse: return "coarse 16x16";
        case Rescan::Thumbnail: return "thumbnail";
        case Rescan::ThickerPen: return "pen a third thicker";
        case Rescan::ThinnerPen: return "pen a third thinner";
        case Rescan::Redrawn: return "redrawn";
    }
    return "";
}

ImageBatch rescanned(const ImageBatch& digits, Rescan rescan, uint64_t seed) {
    ImageBatch result = digits;
    if (rescan == Rescan::Redrawn) {
        RedrawParams params;
        params.min_size = params.max_size = kRedrawSize;
        params.min_pen = kRedrawMinPenShare * kRedrawSize;
        params.max_pen = kRedrawMaxPenShare * kRedrawSize;
        params.seed = seed;
        // The redrawing leaves out a digit without ink at half intensity: only those with some go in.
        ImageBatch inked;
        std::vector<int64_t> where;
        for (int64_t i = 0; i < digits.size(); ++i)
            if (*std::max_element(digits.image(i), digits.image(i) + kImagePixels) >= 0.5f) {
                inked.append(digits.image(i));
                where.push_back(i);
            }
        const ImageBatch redrawn = redraw_as_drawn(inked, params);
        for (size_t k = 0; k < where.size(); ++k) std::copy_n(redrawn.image(static_cast<int64_t>(k)), kImagePixels, result.image(where[k]));
        return result;
    }
    detail::parallel_images(static_cast<int>(digits.size()), [&](int begin, int end) {
        for (int i = begin; i < end; ++i) {
            const Image28 image = rescanned_one(digits.image(i), rescan);
            if (*std::max_element(image.begin(), image.end()) > 0) std::copy(image.begin(), image.end(), result.image(i));
        }
    });
    return result;
}

ImageBatch bank_rescans(const ImageBatch& digits) {
    ImageBatch bank;
    for (Rescan rescan : all_rescans()) {
        const ImageBatch variant = rescanned(digits, rescan);
        bank.pixels.insert(bank.pixels.end(), variant.pixels.begin(), variant.pixels.end());
    }
    return bank;
}

}  // namespace oddigit
