#include "oddigit/canvas_calibration.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include <opencv2/imgproc.hpp>
#include <opencv2/ximgproc.hpp>

#include "oddigit/drawing.h"
#include "oddigit/preprocess.h"
#include "parallel_images.h"

namespace oddigit {

namespace {

// Ink at or above half intensity is stroke; below it, paper.
constexpr float kInkLevel = 0.5f;

// The digit's strokes as the paper's pen path: its skeleton's pixels, each a dot of the pen
// (neighbouring dots overlap into a round-pen line). Empty for a digit without ink.
std::vector<PenStroke> pen_path(const float* digit, float size, float pen) {
    const cv::Mat image(kImageSide, kImageSide, CV_32FC1, const_cast<float*>(digit));
    cv::Mat ink;
    cv::compare(image, kInkLevel, ink, cv::CMP_GE);
    const cv::Rect box = cv::boundingRect(ink);
    if (box.empty()) return {};
    // A pixel of paper around the crop, so the scaled-up edge fades to paper as the digit does.
    const cv::Rect padded = (box + cv::Size(2, 2) - cv::Point(1, 1)) & cv::Rect(0, 0, kImageSide, kImageSide);
    const double scale = size / std::max(box.width, box.height);
    cv::Mat scaled, binary, skeleton;
    cv::resize(image(padded), scaled, cv::Size(), scale, scale, cv::INTER_LINEAR);
    cv::compare(scaled, kInkLevel, binary, cv::CMP_GE);
    cv::ximgproc::thinning(binary, skeleton, cv::ximgproc::THINNING_ZHANGSUEN);
    std::vector<cv::Point> points;
    cv::findNonZero(skeleton, points);
    // The ink's box centred on the paper.
    const double offset_x = kPaperSide / 2.0 - ((box.x - padded.x) + box.width / 2.0) * scale;
    const double offset_y = kPaperSide / 2.0 - ((box.y - padded.y) + box.height / 2.0) * scale;
    std::vector<PenStroke> dots;
    dots.reserve(points.size());
    for (const cv::Point& point : points)
        dots.push_back({{{static_cast<float>(point.x + offset_x), static_cast<float>(point.y + offset_y)}}, pen});
    return dots;
}

}  // namespace

ImageBatch redraw_as_drawn(const ImageBatch& digits, const RedrawParams& params) {
    std::vector<Image28> redrawn(static_cast<size_t>(digits.size()));
    std::vector<char> has_ink(redrawn.size(), 0);
    // Each digit draws its size and pen from its own generator, seeded by the seed and its
    // index, so the set is the same whatever the threads and whichever digits have ink.
    detail::parallel_images(static_cast<int>(digits.size()), [&](int begin, int end) {
        for (int i = begin; i < end; ++i) {
            std::seed_seq seed{params.seed, static_cast<uint64_t>(i)};
            std::mt19937_64 random(seed);
            const float size = std::uniform_real_distribution<float>(params.min_size, params.max_size)(random);
            const float pen = std::uniform_real_distribution<float>(params.min_pen, params.max_pen)(random);
            const std::vector<PenStroke> path = pen_path(digits.image(i), size, pen);
            if (path.empty()) continue;
            redrawn[i] = drawing_input({path, {}});
            has_ink[i] = 1;
        }
    });
    ImageBatch batch;
    for (size_t i = 0; i < redrawn.size(); ++i)
        if (has_ink[i]) batch.append(redrawn[i].data());
    return batch;
}

}  // namespace oddigit
