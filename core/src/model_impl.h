#pragma once
// Internal: the torch side of AnomalyModel, shared by model.cpp and train.cpp.
#include <functional>
#include <limits>
#include <map>
#include <set>
#include <string>

#include "networks.h"
#include "oddigit/model.h"
#include "oddigit/safetensors.h"

namespace oddigit {

struct AnomalyModel::Impl {
    Impl(const Architecture& architecture, torch::Device device);
    void to(torch::Device target);

    ModelInfo info;
    torch::Device device;
    detail::Generator generator;
    detail::Discriminator discriminator;
    detail::Encoder encoder;
    detail::FeatureDensity density;
};

namespace detail {

// The device of that name ("cpu", "cuda", "cuda:N"). Throws Error for an unknown one or a
// CUDA device this machine or LibTorch does not have.
torch::Device usable_device(const std::string& name);

// Images [begin, begin + count) of the batch as a [count, 1, 28, 28] tensor in [-1, 1].
torch::Tensor to_tensor(const ImageBatch& images, int64_t begin, int64_t count, torch::Device device);
// A [N, 1, 28, 28] tensor in [-1, 1] back to images in [0, 1].
ImageBatch to_images(const torch::Tensor& images);

// Heatmaps [N, 784] of images x and reconstructions x' in [-1, 1]: (x - x')^2 on the [0, 1]
// scale, smoothed with a 5x5 binomial kernel. A reconstruction always misses single pixels
// of the digit's outline; smoothing lets a stroke's connected residual stand out from them
// (pixel AUROC of foreign strokes on held-out training digits: 0.958 raw, 0.968 smoothed;
// 3x3: 0.966, 7x7: 0.968).
torch::Tensor heatmaps(const torch::Tensor& images, const torch::Tensor& reconstructions);

// The score's pixel part is the mean of this many hottest heatmap pixels rather than the
// mean of all 784: an odd stroke covers a few dozen pixels, and averaging it with hundreds of
// well-drawn ones dilutes it. Chosen without test labels on held-out training digits of 2
// and 8 (image AUROC of the pixel term alone, clean vs with a foreign stroke / mirrored;
// oddigit-cli protocol localization --on validation): mean of all 0.966 / 0.987
// and 0.947 / 0.787; hottest 10: 0.972 / 0.985 and 0.965 / 0.800; hottest 20: 0.972 / 0.987
// and 0.964 / 0.804; hottest 40: 0.971 / 0.989 and 0.962 / 0.806.
constexpr int64_t kHotPixels = 20;

// What D's digit head says of images, given its digit logits [N, kDigitClasses].
struct DigitVerdict {
    torch::Tensor not_digit;   // [N], -log P(one of the normal classes); zeros without a head
    torch::Tensor best_digit;  // [N] long, the likeliest normal class; -1 without a head
};
DigitVerdict digit_verdict(const torch::Tensor& digit_logits, const ModelInfo& info);

// [N]: the model's feature density distance of D's features [N, F] to its normal classes;
// zeros for a model without a density.
torch::Tensor feature_density(AnomalyModel::Impl& model, const torch::Tensor& features);

// Fits the model's feature density to D's features of images [N, 1, 28, 28] whose digits are
// digits [N] (long), and marks the model as holding one. after_chunk, if set, is called with
// the number of images fitted so far after each chunk; when it returns false the fit stops,
// the model stays without a density, and fit_density returns false.
using DensityChunkCallback = std::function<bool(int64_t fitted)>;
bool fit_density(AnomalyModel::Impl& model, const torch::Tensor& images, const torch::Tensor& digits,
                 const DensityChunkCallback& after_chunk = {});

// The anomaly score's parts for images x and their reconstructions x', both in [-1, 1].
struct Residuals {
    torch::Tensor pixel_map;   // [N, 784], heatmaps(x, x')
    torch::Tensor pixel;       // [N], mean of the kHotPixels largest values of pixel_map
    torch::Tensor feature;     // [N], mean (f(x) - f(x'))^2
    DigitVerdict digits;       // of x
    torch::Tensor density;     // [N], the feature density's distance of f(x); zeros without one
    torch::Tensor score;       // [N], pixel + kappa * feature + digit_weight * digits.not_digit
                               //      + density_weight * density_scale * density
};
Residuals residuals(AnomalyModel::Impl& model, const torch::Tensor& images, const torch::Tensor& reconstructions);

// The encoder's izi_f training loss per image [N]: mean (x - x')^2 + kappa * mean (f(x) - f(x'))^2.
// It averages every pixel, unlike the score, so each pixel of the reconstruction gets a gradient.
torch::Tensor izif_loss(DiscriminatorImpl& discriminator, const torch::Tensor& images,
                        const torch::Tensor& reconstructions, float kappa);

// Turns every parameter or buffer of the network on (true) or off (false) for gradients.
void set_trainable(torch::nn::Module& network, bool trainable);

// A number from a file's metadata. Throws Error naming the file and key when the key is
// missing, the text is not a finite number (or not a whole one), or it lies outside
// [lowest, highest].
float parse_float(const std::map<std::string, std::string>& metadata, const std::string& key, const std::string& path,
                  float lowest = std::numeric_limits<float>::lowest(), float highest = std::numeric_limits<float>::max());
int parse_int(const std::map<std::string, std::string>& metadata, const std::string& key, const std::string& path,
              int lowest, int highest);

safetensors::Tensor to_safetensor(const torch::Tensor& tensor);
torch::Tensor from_safetensor(const safetensors::Tensor& tensor);

// The model as safetensors: tensors named "generator.*", "discriminator.*", "encoder.*",
// "calibration.validation_scores", metadata "oddigit.*".
safetensors::File to_file(const AnomalyModel& model);
// Rebuilds a model from a file read from path. Tensors whose names start with one of
// extra_prefixes are left for the caller; any other unknown or missing tensor is an Error.
// A calibration made for another score is an Error or dropped, as AnomalyModel::load says.
AnomalyModel from_file(const safetensors::File& file, const std::string& path,
                       const std::set<std::string>& extra_prefixes = {},
                       StaleCalibration stale = StaleCalibration::Reject);

}  // namespace detail
}  // namespace oddigit
