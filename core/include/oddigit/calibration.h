#pragma once
// Calibration: the feature density a model's score measures against, and the threshold and
// scales set on normal images held out from training.
#include "oddigit/mnist.h"
#include "oddigit/model.h"

namespace oddigit {

// Fits the model's feature density (ModelInfo::knows_density) to D's features of the images
// it learned from, each with its digit; calibrate() afterwards. Throws Error when the set is
// empty, its labels and images differ in number or a label is not a digit.
void fit_density(AnomalyModel& model, const LabelledImages& train_set);

// Scores the normal validation images and sets the model's validation scores, its threshold
// at their quantile and its heat_full_scale at the same quantile of their pixel parts; for a
// model with a feature density its density_scale first, so that the density's spread (95th
// percentile less median) matches that of the other parts together. Throws Error when
// validation_images is empty.
void calibrate(AnomalyModel& model, const ImageBatch& validation_images, float quantile);

}  // namespace oddigit
