#pragma once
// One training run from its data to its finished model, as the app's Train view and
// `oddigit-cli train` run it: the images read from the plan's source (MNIST, or an image
// folder), split (oddigit/run_plan.h), the images core cannot make prepared (the held-out ones
// as the canvas draws them, the readers' bank rescans: oddigit/train.h's PreparedImages), then
// train(), which calibrates the model for scans and for drawings and saves it.
#include <functional>
#include <string>
#include <vector>

#include "oddigit/run_plan.h"
#include "oddigit/train.h"

namespace oddigit {

// The images of a data source: MNIST's training set, read from mnist_dir, or an image folder's
// (load_image_folder() of oddigit/image_folder.h, taken as they are where the source says so).
struct SourceImages {
    LabelledImages images;
    std::vector<std::string> class_names;  // empty for MNIST's digits
};
// Throws Error as load_mnist() and load_image_folder() do.
SourceImages load_source_images(const DataSource& source, const std::string& mnist_dir);

// Runs the plan. on_data, where given, sees the run's data before training starts (to report
// it, or to refuse it by throwing). Returns train()'s result. Throws Error as
// load_source_images(), split_for() and train() do.
TrainResult run_training(const RunPlan& plan, const TrainCallbacks& callbacks = {}, TrainControl* control = nullptr,
                         const std::function<void(const RunData&)>& on_data = {});

}  // namespace oddigit
