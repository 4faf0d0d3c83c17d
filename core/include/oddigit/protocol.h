#pragma once
// The standard MNIST evaluation protocols.
#include <functional>
#include <string>
#include <vector>

#include "oddigit/mnist.h"
#include "oddigit/strokes.h"
#include "oddigit/train.h"

namespace oddigit {

// Scores of the test set with the model, and what they say about its normal classes.
struct TestEvaluation {
    std::vector<float> scores;   // one per test image
    double auroc = -1;           // -1 when the test set has no anomalous (or no normal) image
    // Anomalies and normal images flagged by the model's calibration; -1 in search mode,
    // whose loss has no threshold.
    double true_positive_rate = 0;
    double false_positive_rate = 0;
    std::vector<double> mean_score_per_class;  // one per class of the test set
    // One per class of the test set: its images against the normal images, which shows what
    // the model mistakes for normal; -1 for a normal class or one absent from the set. auroc is
    // their mean weighted by each class's image count.
    std::vector<double> auroc_per_class;
};

// Scores a test set labelled by the model's own classes (MNIST's test set: by digit); the
// classes outside the model's normal ones are the anomalies.
TestEvaluation evaluate(const AnomalyModel& model, const LabelledImages& test,
                        const ScoreParams& score_params = {});
// Scores a test set of classes of its own (an image folder's), normal_label[c] telling whether
// its class c is normal for the model. Throws Error for a label beyond normal_label.
TestEvaluation evaluate(const AnomalyModel& model, const LabelledImages& test, const std::vector<bool>& normal_label,
                        const ScoreParams& score_params = {});

// Which classes of a test set are normal ones of the model, one flag per test class: MNIST's
// ten digits (test_class_names empty) are matched to the model's classes by digit, a test
// folder's classes by name; a class the model does not know is an anomaly. Throws Error for
// MNIST's digits and a model of an image folder's classes that are not digits.
std::vector<bool> normal_test_classes(const ModelInfo& info, const std::vector<std::string>& test_class_names);

// One-class protocol (Deep SVDD, OCGAN "protocol 2"): train on the training images of one
// class, score the whole test set, the other classes are the anomalies. On MNIST: one digit,
// all 10,000 test images; on an image folder, its classes (named by train.normal_classes),
// the test folder's images labelled by the same classes.
struct OneClassParams {
    std::vector<int> classes = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};  // the classes run, by index
    std::vector<int> seeds = {1};     // one run per class and seed
    double validation_fraction = 0.1; // of the class's training images, for the threshold
    // normal_classes gives the data's classes; which of them is normal, the seed and the output
    // are set per run.
    TrainParams train;
};

struct OneClassRun {
    int class_index = 0;
    uint64_t seed = 0;
    double auroc = 0;
    double seconds = 0;
};

struct OneClassReport {
    std::vector<OneClassRun> runs;
    double seconds = 0;
    // Per class over seeds, and over classes of the per-class means.
    double mean_auroc(int class_index) const;
    double std_auroc(int class_index) const;
    double mean_auroc() const;
};

// data: the training and test images, labelled by the classes of params.train.normal_classes.
OneClassReport run_one_class(const MnistSet& data, const OneClassParams& params,
                             const std::function<void(const std::string&)>& log = {},
                             const TrainCallbacks& callbacks = {});

// Leave-one-out (GANomaly's split): digit k is the anomaly, the other nine are normal. The
// normal images of the training and test sets are pooled and split at random, 80 % to learn
// from (less the validation hold-out) and 20 % to test; the test set adds every image of
// digit k from both sets.
struct LeaveOneOutParams {
    // The pooled normal set is about nine one-class sets: this many epochs per phase give
    // slightly more steps than the one-class protocol's 40 (6 x 45k vs 40 x 5.4k images).
    static constexpr int kEpochs = 6;
    LeaveOneOutParams() { train.gan_epochs = train.encoder_epochs = kEpochs; }

    std::vector<int> digits = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    uint64_t seed = 1;                // the pooled split and the training
    double test_fraction = 0.2;       // of the pooled normal images
    double validation_fraction = 0.1; // of the rest, for the threshold
    TrainParams train;                // normal_classes, seed and output are set per run
};

struct LeaveOneOutRun {
    int digit = 0;
    double auroc = 0;
    int64_t train_images = 0;
    int64_t test_normal_images = 0;
    int64_t test_anomalous_images = 0;
    double seconds = 0;
};

struct LeaveOneOutReport {
    std::vector<LeaveOneOutRun> runs;
    double seconds = 0;
    double mean_auroc() const;
};

// Throws Error when digits is empty or test_fraction leaves no image on either side.
LeaveOneOutReport run_leave_one_out(const MnistSet& mnist, const LeaveOneOutParams& params,
                                    const std::function<void(const std::string&)>& log = {},
                                    const TrainCallbacks& callbacks = {});

// AnoGAN's latent search against the encoder on the one-class protocol: for each digit one
// model (default recipe) scores the same random subset of the test set both ways.
struct SearchComparisonParams {
    std::vector<int> digits = {1, 4, 8};
    int test_images = 1000;           // random subset of the 10,000 (the search is slow per image)
    double validation_fraction = 0.1;
    TrainParams train;
    ScoreParams search;               // mode is set to LatentSearch
};

struct SearchComparisonRun {
    int digit = 0;
    double encoder_auroc = 0;
    double search_auroc = 0;
    double encoder_ms_per_image = 0;
    double search_ms_per_image = 0;
};

std::vector<SearchComparisonRun> run_search_comparison(const MnistSet& mnist, const SearchComparisonParams& params,
                                                       const std::function<void(const std::string&)>& log = {});

// Localization: real digits of the model's normal classes, each with one random foreign
// stroke added, or with ink erased (StrokeStyle::Erased). Pixel AUROC: how well the heatmap
// separates the pixels the stroke changed (new ink, or ink wiped) from every other pixel;
// image AUROC: stroked versus the same digits clean. Beside it, the same digits
// mirrored left to right versus clean: a whole-digit anomaly, so that a setting is not judged
// only on small local ones.
// On test digits it is a benchmark. On the model's held-out validation images it needs no
// label beyond "normal", so it is how recipes and settings are chosen without test labels.
struct LocalizationParams {
    int images = 2000;  // stroked digits: the first this many of the given ones
    uint64_t seed = 1;  // of the strokes
    StrokeStyle style = StrokeStyle::Straight;
};

struct LocalizationReport {
    int images = 0;
    double pixel_auroc = 0;
    double image_auroc = 0;
    double stroke_image_auroc = 0;    // as image_auroc, by the stroke channel's ratio alone
    double mirrored_image_auroc = 0;  // mirrored versus clean
    double stroked_flagged = 0;       // the stroked digits flagged at the model's thresholds
    double mean_clean_score = 0;
    double mean_stroked_score = 0;
    ImageBatch clean;    // the digits used, and the same with their strokes
    ImageBatch stroked;
};

// digits: images of the model's normal classes that it did not learn from.
// Throws Error when digits is empty.
LocalizationReport run_localization(const AnomalyModel& model, const ImageBatch& digits,
                                    const LocalizationParams& params = {});

}  // namespace oddigit
