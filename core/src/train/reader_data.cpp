#include "reader_data.h"

#include <cmath>
#include <torch/nn/functional.h>

namespace oddigit::detail {

namespace F = torch::nn::functional;

namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kMaxTurn = 10 * kPi / 180;
constexpr double kMaxScaleChange = 0.1;
constexpr double kMaxShear = 0.15;
constexpr double kMaxShiftPixels = 2;
// A heavy blur: a box this many pixels a side, twice.
constexpr int64_t kBlurSide = 9;

// Uniform draws in [low, high), one per image, on the CPU.
torch::Tensor uniform(int64_t count, double low, double high, at::Generator& random) {
    return torch::rand({count}, random) * (high - low) + low;
}

// 3x3 grey dilation (or erosion) of ink in [0, 1].
torch::Tensor dilated(const torch::Tensor& ink) { return F::max_pool2d(ink, F::MaxPool2dFuncOptions(3).stride(1).padding(1)); }
torch::Tensor eroded(const torch::Tensor& ink) { return -dilated(-ink); }

// Each image turned by a quarter or a half turn, unless that gives a digit back (0 and 8 any
// turn, 1, 6 and 9 a half turn): those stay as they are, and the caller masks them out.
torch::Tensor turned(const torch::Tensor& digits, const torch::Tensor& labels, const torch::Tensor& quarter,
                     torch::Tensor& gives_digit_back) {
    const torch::Tensor turn = torch::where(quarter.view({-1, 1, 1, 1}), digits.rot90(1, {2, 3}), digits.rot90(2, {2, 3}));
    const torch::Tensor any_turn = (labels == 0) | (labels == 8);
    const torch::Tensor half_turn = (labels == 1) | (labels == 6) | (labels == 9);
    gives_digit_back = any_turn | (half_turn & ~quarter);
    return turn;
}

}  // namespace

torch::Tensor writer_variation(const torch::Tensor& digits, at::Generator& random) {
    const int64_t count = digits.size(0);
    const torch::Tensor turn = uniform(count, -kMaxTurn, kMaxTurn, random);
    const torch::Tensor scale = uniform(count, 1 - kMaxScaleChange, 1 + kMaxScaleChange, random);
    const torch::Tensor shear = uniform(count, -kMaxShear, kMaxShear, random);
    const double shift = kMaxShiftPixels / (kImageSide / 2.0);  // in the grid's [-1, 1] units
    const torch::Tensor shift_x = uniform(count, -shift, shift, random), shift_y = uniform(count, -shift, shift, random);
    // The sampling grid's map from output to input: turn and shear, over the scale.
    const torch::Tensor cos = turn.cos() / scale, sin = turn.sin() / scale;
    const torch::Tensor theta =
        torch::stack({torch::stack({cos, -sin + shear * cos, shift_x}, 1), torch::stack({sin, cos + shear * sin, shift_y}, 1)}, 1)
            .to(digits.device(), digits.scalar_type());
    const torch::Tensor ink = (digits + 1) / 2;
    const torch::Tensor grid = F::affine_grid(theta, {count, 1, kImageSide, kImageSide}, false);
    torch::Tensor moved = F::grid_sample(ink, grid, F::GridSampleFuncOptions().padding_mode(torch::kZeros).align_corners(false));
    const torch::Tensor pen = torch::randint(3, {count, 1, 1, 1}, random, torch::kLong).to(digits.device());
    moved = torch::where(pen == 1, (moved + dilated(moved)) / 2, torch::where(pen == 2, (moved + eroded(moved)) / 2, moved));
    return moved.clamp(0, 1) * 2 - 1;
}

torch::Tensor scanner_variation(const torch::Tensor& digits, at::Generator& random) {
    const int64_t count = digits.size(0);
    const torch::Tensor which = torch::randint(3, {count, 1, 1, 1}, random, torch::kLong).to(digits.device());
    // A blur of a sigma drawn for the batch, up to a pixel.
    const double sigma = 0.3 + 0.7 * torch::rand({1}, random).item<double>();
    const torch::Tensor offsets = torch::arange(-2, 3, digits.options());
    torch::Tensor taps = torch::exp(-offsets.pow(2) / (2 * sigma * sigma));
    taps = taps / taps.sum();
    const torch::Tensor kernel = torch::outer(taps, taps).view({1, 1, 5, 5});
    const torch::Tensor ink = (digits + 1) / 2;
    const torch::Tensor blurred = F::conv2d(ink, kernel, F::Conv2dFuncOptions().padding(2));
    // A coarse scan: down to a side drawn for the batch and back up.
    const int64_t side = torch::randint(14, 21, {1}, random, torch::kLong).item<int64_t>();
    const torch::Tensor coarse = F::interpolate(
        F::interpolate(ink, F::InterpolateFuncOptions().size(std::vector<int64_t>{side, side}).mode(torch::kArea)),
        F::InterpolateFuncOptions().size(std::vector<int64_t>{kImageSide, kImageSide}).mode(torch::kBilinear).align_corners(false));
    return torch::where(which == 1, blurred, torch::where(which == 2, coarse, ink)).clamp(0, 1) * 2 - 1;
}

torch::Tensor reader_negatives(ReaderNegatives kind, const torch::Tensor& digits, const torch::Tensor& labels,
                               AnomalyModel::Impl& model, at::Generator& random) {
    const int64_t count = digits.size(0);
    const auto on = [&](const torch::Tensor& t) { return t.to(digits.device()); };
    if (kind == ReaderNegatives::None) return torch::empty({0, 1, kImageSide, kImageSide}, digits.options());
    if (kind == ReaderNegatives::GanMixes) {
        torch::NoGradGuard no_grad;
        const int64_t partner_shift = torch::randint(1, count, {1}, random, torch::kLong).item<int64_t>();
        const torch::Tensor codes = model.encoder->forward(digits);
        const torch::Tensor other_class = labels != labels.roll(partner_shift, 0);
        const torch::Tensor mixes = model.generator->forward((codes + codes.roll(partner_shift, 0)) / 2);
        return mixes.index_select(0, other_class.nonzero().flatten());
    }
    // Abnormal: a third pixel noise, a third a heavy blur, a third turned.
    const torch::Tensor which = on(torch::randint(3, {count}, random, torch::kLong));
    const torch::Tensor noise = on(torch::rand({count, 1, kImageSide, kImageSide}, random)).pow(3) * 2 - 1;
    const F::AvgPool2dFuncOptions box = F::AvgPool2dFuncOptions(kBlurSide).stride(1).padding(kBlurSide / 2);
    const torch::Tensor blurred = F::avg_pool2d(F::avg_pool2d(digits, box), box);
    torch::Tensor gives_digit_back;
    const torch::Tensor turn = turned(digits, labels, on(torch::rand({count}, random) < 0.5), gives_digit_back);
    const torch::Tensor made = torch::where((which == 0).view({-1, 1, 1, 1}), noise,
                                            torch::where((which == 1).view({-1, 1, 1, 1}), blurred, turn));
    return made.index_select(0, ((which != 2) | ~gives_digit_back).nonzero().flatten());
}

}  // namespace oddigit::detail
