#pragma once
// Internal: the TrainParams a run goes by, checked, and the record of them a model keeps.
#include <nlohmann/json.hpp>

#include "oddigit/train.h"

namespace oddigit::detail {

// requested with each phase's epochs, where 0, set to default_epochs() of the training set,
// after checking that a run can use them with this input. Throws Error naming what it cannot
// use: too few images, labels that do not match, a batch that does not split over the ranks,
// a setting a model file could not hold (the bounds of load()), or --gan-from on the output.
TrainParams settled_params(const TrainParams& requested, const LabelledImages& train_set,
                           const ImageBatch& validation_images);

// The training record a model keeps: the fixed settings, the rest of TrainParams, the data sizes.
nlohmann::json describe(const TrainParams& params, int64_t train_count, int64_t validation_count);

// The TrainParams a run was started with, from its record (describe()'s, keys it lacks left at
// their defaults) and its model's classes and data. Throws nlohmann::json::exception for a value
// of the wrong type, and Error for a reader recipe this build does not know.
TrainParams recorded_params(const nlohmann::json& record, const ModelInfo& info);

}  // namespace oddigit::detail
