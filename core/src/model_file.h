#pragma once
// Internal: the model file's safetensors layout and its checks (docs/model-format.md).
#include <limits>
#include <map>
#include <set>
#include <string>

#include "model_impl.h"
#include "oddigit/safetensors.h"

namespace oddigit::detail {

// The metadata key only a training's resume file has: the run's fixed settings (JSON).
constexpr const char* kResumeSettingsKey = "oddigit.resume.settings";

// The bounds of a model's score settings. load() refuses a file outside them and train()
// refuses TrainParams outside them, so that no run writes a model that will not open.
constexpr float kLowestWeight = 0.0f;     // kappa and the shape terms' weights and scales
constexpr float kLowestQuantile = 0.0f;   // threshold_quantile
constexpr float kHighestQuantile = 1.0f;
constexpr float kLowestShapeShare = 0.05f;  // shape_share: neither channel is left without alarms
constexpr float kHighestShapeShare = 0.95f;

// A number from a file's metadata. Throws Error naming the file and key when the key is
// missing, the text is not a finite number (or not a whole one), or it lies outside
// [lowest, highest].
float parse_float(const std::map<std::string, std::string>& metadata, const std::string& key, const std::string& path,
                  float lowest = std::numeric_limits<float>::lowest(), float highest = std::numeric_limits<float>::max());
int parse_int(const std::map<std::string, std::string>& metadata, const std::string& key, const std::string& path,
              int lowest, int highest);

// A tensor as a file's tensor and back. to_safetensor throws Error for a type the format lacks.
safetensors::Tensor to_safetensor(const torch::Tensor& tensor);
torch::Tensor from_safetensor(const safetensors::Tensor& tensor);

// The model as safetensors: tensors named "generator.*", "discriminator.*", "encoder.*",
// "density.*", "calibration.validation_stroke" and "calibration.validation_shape", metadata
// "oddigit.*".
safetensors::File to_file(const AnomalyModel& model);
// Rebuilds a model from a file read from path. Tensors whose names start with one of
// extra_prefixes are left for the caller; any other unknown or missing tensor is an Error.
// A calibration made for another score is an Error or dropped, as AnomalyModel::load says.
AnomalyModel from_file(const safetensors::File& file, const std::string& path,
                       const std::set<std::string>& extra_prefixes = {},
                       StaleCalibration stale = StaleCalibration::Reject);

}  // namespace oddigit::detail
