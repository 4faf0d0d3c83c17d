#pragma once
// A training run as the app's Train view and `oddigit-cli train` ask for it: its settings, where
// its images are, which classes are normal, how many images it holds out and learns from; and
// its data split as it asks. run_training() of oddigit/training_run.h runs one whole.
#include <cstdint>
#include <string>
#include <vector>

#include "oddigit/class_set.h"
#include "oddigit/train.h"

namespace oddigit {

struct RunPlan {
    // params.data_source says where the images are; the classes are set from normal.
    TrainParams params;
    std::string mnist_dir;  // MNIST's four files, for an MNIST source
    std::string normal;  // the normal classes: digits ("3", "0,2,5", "all"), or an image folder's class names
    // Exactly this many normal images held out (a resumed run's count); 0: validation_fraction of them.
    int64_t held_out = 0;
    double validation_fraction = 0.1;
    int64_t limit = 0;  // at most this many training images, the first; 0: all
};

// The data a run learns from, split as its plan asks.
struct RunData {
    TrainParams params;  // the plan's, given the data's class names and the normal classes
    NormalSplit split;   // the training images (limited) and those held out
};

// Returns data, whose classes are class_names (empty: MNIST's digits), split as the plan asks.
// Throws Error when plan.normal names no class of the data, or when no image is left on
// either side.
RunData split_for(const RunPlan& plan, const LabelledImages& data, const std::vector<std::string>& class_names);

}  // namespace oddigit
