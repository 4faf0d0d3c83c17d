#pragma once
// What more than one group of oddigit-cli's subcommands (commands.h) shares: options written
// once, the default files, the training split of a model, its calibration.
#include <CLI/CLI.hpp>
#include <string>

#include "oddigit/mnist.h"
#include "oddigit/model.h"
#include "oddigit/train.h"

namespace oddigit::cli {

// --threads: CPU threads for LibTorch, on the app and on each subcommand, as users type it either way.
void add_threads_option(CLI::App& command, int& threads);
// --data: the folder of the four MNIST files, empty for default_mnist_dir().
void add_data_option(CLI::App& command, std::string& dir);

// Where a command's labelled images come from: MNIST, or an image folder (oddigit/image_folder.h).
struct DataOptions {
    std::string mnist_dir;   // empty: default_mnist_dir()
    std::string images_dir;  // non-empty: this folder instead of MNIST
    bool as_is = false;      // its images are 28x28 in MNIST framing already
};
// The source the options name. Throws Error for --as-is without --images.
DataSource source_of(const DataOptions& options);
// --data, and --images with --as-is; what says what the images are for ("to train on").
void add_data_options(CLI::App& command, DataOptions& options, const std::string& what);

struct LabelledData {
    LabelledImages images;
    std::vector<std::string> class_names;  // empty for MNIST's digits
    DataSource source;                     // ModelInfo::data_source
};
enum class MnistPart { Train, Test };
// MNIST's training or test set, or the image folder. Throws Error as load_mnist() and
// load_image_folder() do, and for a folder in a build without image IO.
LabelledData load_data(const DataOptions& options, MnistPart part);
// The data of a source (MNIST read from mnist_dir), e.g. the one a model learnt from.
LabelledData load_data(const DataSource& source, const std::string& mnist_dir, MnistPart part);
// --device: cpu, cuda, cuda:N, or auto (cuda when usable).
void add_device_option(CLI::App& command, std::string& device);
// The training recipe: epochs, batch, learning rates, the score's weights, sizes, device.
void add_train_settings(CLI::App& command, TrainParams& params);
// --<key>-weight (train, calibrate): the option that sets a shape term's weight, and its help.
std::string weight_option(ShapeTerm term);
std::string weight_help(ShapeTerm term);
// The digit readers' epochs (their other settings are the candidates' of bench/reader_lab.cpp).
void add_reader_settings(CLI::App& command, ReaderParams& params);
// --mode (encoder or search) and --search-steps.
void add_score_settings(CLI::App& command, ScoreParams& params);

// The classes of a set, by index, in order.
std::vector<int> class_list(const ClassSet& classes);

// path, or default_model_path() when it is empty.
std::string model_or_default(const std::string& path);
// dir, or default_mnist_dir() when it is empty.
std::string data_or_default(const std::string& dir);

// The progress line of a training step.
std::string progress_text(const TrainProgress& p);

// The normal images the model held out from training: its split of the data it learnt from
// (load_data() of its data_source) rebuilt from the seed it records, checked against the count it records.
NormalSplit training_split(const AnomalyModel& model, const std::string& model_path, const std::string& mnist_dir,
                           double validation_fraction);

// Both calibrations set on the held-out images (calibrate_all() of oddigit/calibration.h), the
// model saved at path. A build that reads no images (ODDIGIT_IMAGE_IO off) cannot redraw them:
// it sets the MNIST calibration alone and notes it (note_no_canvas_calibration()).
void calibrate_and_save(AnomalyModel& model, const ImageBatch& validation, const std::string& path);
// Says on stderr that drawings will be measured against the MNIST thresholds.
void note_no_canvas_calibration();

// The calibrations' thresholds, e.g. "stroke 0.34155, shape 0.77121; for drawings (the
// held-out images redrawn as the canvas draws them): stroke 0.27601, shape 0.20122".
std::string thresholds_text(const ModelInfo& info);

}  // namespace oddigit::cli
