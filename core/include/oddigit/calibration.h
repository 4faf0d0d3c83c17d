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

// Scores the normal validation images and sets the model's calibration: for a model with a
// feature density (and for the realness term) first the scale that makes the term's spread
// (95th percentile less median) match that of the residual and digit parts together; then the
// stroke and shape thresholds, each at the same quantile of its own channel, chosen so that a
// share 1 - quantile of the images reach either; the validation channel values and scores;
// and heat_full_scale at that quantile of the pixel parts. Clears the canvas calibration, which
// was set against the old scales. Throws Error when validation_images is empty, when a term
// with a weight above 0 does not spread, or when a threshold comes out at 0.
void calibrate(AnomalyModel& model, const ImageBatch& validation_images, float quantile);

// Sets the model's canvas calibration (ModelInfo::canvas): the stroke and shape thresholds and
// the heat scale, by calibrate()'s rule at the model's threshold_quantile, on the held-out
// images redrawn as the canvas draws them (oddigit/canvas_calibration.h makes them and calls
// this). Keeps calibrate()'s scales. Throws Error when the model is not calibrated, when the
// set is empty, or when a threshold comes out at 0.
void calibrate_canvas(AnomalyModel& model, const ImageBatch& redrawn_validation_images);

// Both, as training does after each epoch and `oddigit-cli calibrate` does: calibrate() at the
// model's threshold_quantile on the held-out images, then calibrate_canvas() on the same images
// as the canvas draws them (PreparedImages::validation_drawn of oddigit/train.h) where given;
// empty, the model keeps no canvas calibration. Throws Error as they do.
void calibrate_all(AnomalyModel& model, const ImageBatch& validation_images, const ImageBatch& validation_drawn);

}  // namespace oddigit
