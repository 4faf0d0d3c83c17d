#include "synthetic.h"

#include <ATen/CPUGeneratorImpl.h>

#include "model_impl.h"
#include "oddigit/error.h"
#include "oddigit/train.h"

namespace oddigit {

namespace detail {

namespace {
// A stitched non-digit takes one digit up to a cut this many pixels from the centre line.
constexpr int64_t kMaxCutOffset = 4;
// An overlaid digit is shifted by up to this many pixels; MNIST leaves a 4-pixel margin.
constexpr int64_t kMaxOverlayShift = 4;
// The encoder's corruption: a fragment's side in pixels, and its least distance from the border.
constexpr int64_t kMinFragmentSide = 6;
constexpr int64_t kMaxFragmentSide = 14;
constexpr int64_t kFragmentMargin = 2;
}  // namespace

torch::Tensor synthetic_non_digits(const torch::Tensor& digits, const torch::Tensor& labels,
                                   const torch::Tensor& class_digits, at::Generator& random) {
    enum Kind : int64_t { QuarterTurn, HalfTurn, MirrorAcross, MirrorDown, Stitch, Overlay, Kinds };
    const int64_t count = digits.size(0);
    const auto on = [&](torch::Tensor t) { return t.to(digits.device()); };
    const auto coin = [&] { return on(torch::rand({count, 1, 1, 1}, random)) < 0.5; };
    const torch::Tensor kind = on(torch::randint(Kinds, {count}, random, torch::kLong));
    const int64_t partner_shift = torch::randint(1, count, {1}, random, torch::kLong).item<int64_t>();
    const torch::Tensor partner = digits.roll(partner_shift, 0);
    const torch::Tensor partner_labels = labels.roll(partner_shift, 0);

    const torch::Tensor quarter = torch::where(coin(), digits.rot90(1, {2, 3}), digits.rot90(3, {2, 3}));
    const torch::Tensor half = digits.rot90(2, {2, 3});
    const torch::Tensor across = digits.flip({3});
    const torch::Tensor down = digits.flip({2});
    // A cut across or down, at a random offset from the centre line.
    const torch::Tensor cut = on(torch::randint(-kMaxCutOffset, kMaxCutOffset + 1, {count, 1, 1, 1}, random,
                                                torch::kLong)) + kImageSide / 2;
    const torch::Tensor position = torch::arange(kImageSide, digits.options().dtype(torch::kLong));
    const torch::Tensor first_side =
        torch::where(coin(), position.view({1, 1, kImageSide, 1}) < cut, position.view({1, 1, 1, kImageSide}) < cut);
    const torch::Tensor stitched = torch::where(first_side, digits, partner);
    const torch::Tensor shift = torch::randint(-kMaxOverlayShift, kMaxOverlayShift + 1, {2}, random, torch::kLong);
    const torch::Tensor overlaid =
        torch::max(digits, partner.roll({shift[0].item<int64_t>(), shift[1].item<int64_t>()}, {2, 3}));
    // Two digits side by side, each squeezed to half the width: a pair is no one digit, even
    // of one class ("00"), so a join of two digits of one class is made this way instead.
    const auto squeezed = [](const torch::Tensor& images) {
        return torch::max_pool2d(images, {1, 2}, {1, 2});
    };
    const torch::Tensor pair = torch::cat({squeezed(digits), squeezed(partner)}, 3);
    const torch::Tensor same_class = (partner_labels == labels).view({-1, 1, 1, 1});

    const auto of_kind = [&](Kind k) { return (kind == k).view({-1, 1, 1, 1}); };
    const torch::Tensor made = torch::where(
        of_kind(QuarterTurn), quarter,
        torch::where(of_kind(HalfTurn), half,
                     torch::where(of_kind(MirrorAcross), across,
                                  torch::where(of_kind(MirrorDown), down,
                                               torch::where(same_class, pair,
                                                            torch::where(of_kind(Stitch), stitched, overlaid))))));
    const torch::Tensor digit = class_digits.to(labels.device()).index_select(0, labels);
    const auto is = [&](std::initializer_list<int64_t> digits_list) {
        torch::Tensor hit = torch::zeros_like(labels, torch::kBool);
        for (int64_t d : digits_list) hit = hit | (digit == d);
        return hit;
    };
    const torch::Tensor gives_a_digit_back = is({-1, 0, 8}) | ((kind == HalfTurn) & is({1, 6, 9})) |
                                             ((kind == MirrorAcross) & is({1})) | ((kind == MirrorDown) & is({1, 3}));
    const torch::Tensor valid = (kind >= Stitch) | ~gives_a_digit_back;
    return made.index_select(0, valid.nonzero().squeeze(1));
}

void check_corruption_share(double share) {
    if (!(share >= 0 && share <= 1)) throw Error("the encoder's corruption share must lie in [0, 1]");
}

torch::Tensor corrupt(const torch::Tensor& digits, double share, at::Generator& random) {
    const int64_t count = digits.size(0);
    const auto on = [&](torch::Tensor t) { return t.to(digits.device()); };
    // Per image: whether and how it is corrupted, then where the fragment comes from and goes.
    const torch::Tensor draw = on(torch::rand({count, 7}, random));
    const auto pick = [&](int column, int64_t choices) {
        return (draw.select(1, column) * choices).floor().to(torch::kLong).clamp_max(choices - 1).view({count, 1, 1});
    };
    const torch::Tensor height = kMinFragmentSide + pick(1, kMaxFragmentSide - kMinFragmentSide + 1);
    const torch::Tensor width = kMinFragmentSide + pick(2, kMaxFragmentSide - kMinFragmentSide + 1);
    const auto within = [&](int column, const torch::Tensor& side, int64_t margin) {
        return margin + (draw.select(1, column).view({count, 1, 1}) * (kImageSide - 2 * margin - side + 1)).floor().to(torch::kLong);
    };
    const torch::Tensor from_row = within(3, height, 0), from_column = within(4, width, 0);
    const torch::Tensor to_row = within(5, height, kFragmentMargin), to_column = within(6, width, kFragmentMargin);

    const torch::Tensor row = torch::arange(kImageSide, digits.options().dtype(torch::kLong)).view({1, kImageSide, 1});
    const torch::Tensor column = row.view({1, 1, kImageSide});
    const torch::Tensor inside = (row >= to_row) & (row < to_row + height) & (column >= to_column) & (column < to_column + width);
    const torch::Tensor source = ((row - to_row + from_row).clamp(0, kImageSide - 1) * kImageSide +
                                  (column - to_column + from_column).clamp(0, kImageSide - 1))
                                     .view({count, kImagePixels});
    const torch::Tensor ink = (digits.view({count, kImagePixels}) + 1) * 0.5;
    const torch::Tensor fragment = ink.roll(-1, 0).gather(1, source) * inside.view({count, kImagePixels});

    const torch::Tensor chance = draw.select(1, 0).view({count, 1});
    const torch::Tensor corrupted = torch::where(chance < share / 2, torch::max(ink, fragment),
                                                 torch::where(chance < share, ink * (1 - fragment), ink));
    return (corrupted * 2 - 1).view_as(digits);
}

}  // namespace detail

ImageBatch corrupted_digits(const ImageBatch& digits, float share, uint64_t seed) {
    detail::check_corruption_share(share);
    if (digits.empty()) return {};
    at::Generator random = at::detail::createCPUGenerator(seed);
    return detail::to_images(detail::corrupt(detail::to_tensor(digits, 0, digits.size(), torch::kCPU), share, random));
}

}  // namespace oddigit
