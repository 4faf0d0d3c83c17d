#pragma once
// The subcommands of oddigit-cli. Each returns the process exit code and throws
// oddigit::Error for bad input, which main() turns into a one-line message.
#include <string>

#include "oddigit/model.h"
#include "oddigit/protocol.h"
#include "oddigit/train.h"

namespace oddigit::cli {

struct TrainOptions {
    std::string data_dir;
    std::string normal = "all";
    double validation_fraction = 0.1;
    int64_t limit = 0;  // use at most this many normal training images (0: all)
    // Distributed runs: "HOST:PORT" of rank 0 (empty: $MASTER_ADDR/$MASTER_PORT or the
    // defaults), and the world size and rank given on the command line (-1: $WORLD_SIZE/$RANK).
    std::string master;
    int world_size = -1;
    int rank = -1;
    TrainParams params;
};
int run_train(const TrainOptions& options);

struct ScoreOptions {
    std::string model_path;
    std::string images_path;
    std::string csv_path;
    std::string heatmaps_path;
    std::string pictures_dir;  // one PNG per image: input | reconstruction | heatmap
    std::string device = "cpu";
    ScoreParams params;
};
int run_score(const ScoreOptions& options);

struct EvalOptions {
    std::string model_path;
    std::string data_dir;
    std::string json_path;
    std::string device = "cpu";
    ScoreParams params;
};
int run_eval(const EvalOptions& options);

struct ProtocolOptions {
    std::string data_dir;
    std::string digits = "0-9";
    std::vector<int> seeds = {1};
    std::string json_path;
    TrainParams params;
};
int run_one_class_protocol(const ProtocolOptions& options);

struct LeaveOneOutOptions {
    std::string data_dir;
    std::string digits = "0-9";
    std::string json_path;
    LeaveOneOutParams params;
};
int run_leave_one_out_protocol(const LeaveOneOutOptions& options);

struct LocalizationOptions {
    std::string model_path;
    std::string data_dir;
    std::string json_path;
    std::string pictures_dir;  // PNGs of the first examples: input | reconstruction | heatmap
    int examples = 8;
    std::string on = "test";           // "test": test digits; "validation": the model's held-out images
    double validation_fraction = 0.1;  // as given to train, to rebuild its split
    LocalizationParams params;
};
int run_localization_protocol(const LocalizationOptions& options);

struct SearchComparisonOptions {
    std::string data_dir;
    std::string digits = "1,4,8";
    std::string json_path;
    SearchComparisonParams params;
};
int run_search_comparison_protocol(const SearchComparisonOptions& options);

// Rescores the normal images a model held out (rebuilt from the seed it records) and saves
// it with the new validation values and thresholds: for a model calibrated for an older score.
struct CalibrateOptions {
    std::string model_path;
    std::string data_dir;
    std::string output_path;           // default: overwrite the model (atomically)
    double validation_fraction = 0.1;  // as given to train, to rebuild its split
    float digit_weight = -1;           // >= 0: set the model's digit weight before calibrating
    float density_weight = -1;         // >= 0: set its density weight, fitting a density it lacks
    float realness_weight = -1;        // >= 0: set its realness weight
};
int run_calibrate(const CalibrateOptions& options);

int run_info(const std::string& model_path);

// Downloads MNIST (oddigit/fetch.h); needs a build with ODDIGIT_FETCH.
struct FetchOptions {
    std::string dir;     // empty: default_mnist_dir()
    std::string mirror;  // empty: the usual public mirrors
};
int run_fetch_mnist(const FetchOptions& options);

// Digits, letters and symbols drawn from stroke templates (oddigit/drawn.h); needs image IO.
struct DrawnOptions {
    std::string model_path;
    std::string json_path;
    std::string pictures_dir;  // one PNG per template, of its first drawing: input | reconstruction | heatmap
    int samples_per_template = 30;
    uint64_t seed = 1;
};
int run_drawn_protocol(const DrawnOptions& options);

}  // namespace oddigit::cli
