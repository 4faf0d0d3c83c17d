#pragma once
// Helpers shared by more than one group of oddigit-cli's subcommands (commands.h).
#include <chrono>
#include <string>

#include "oddigit/mnist.h"
#include "oddigit/model.h"
#include "oddigit/train.h"

namespace oddigit::cli {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start);

// path, or default_model_path() when it is empty.
std::string model_or_default(const std::string& path);

// dir, or default_mnist_dir() when it is empty.
std::string data_or_default(const std::string& dir);

// Writes text to path; throws Error when it cannot.
void write_text(const std::string& path, const std::string& text);

// The progress line of a training step.
std::string progress_text(const TrainProgress& p);

// The normal images the model held out from training: its split rebuilt from the seed it
// records, checked against the count it records.
NormalSplit training_split(const AnomalyModel& model, const std::string& model_path, const MnistSet& mnist,
                           double validation_fraction);

// Sets the model's canvas calibration from its held-out images, in a build that reads images
// (ODDIGIT_IMAGE_IO); a build without says on stderr that drawings stay on the MNIST calibration.
void calibrate_canvas_where_built(AnomalyModel& model, const ImageBatch& validation);

}  // namespace oddigit::cli
