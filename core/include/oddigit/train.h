#pragma once
// Training, in four phases (TrainPhase): the GAN (G and D) on normal images; the feature
// density, fitted on D's features of the training images; the encoder E with G and D frozen
// (f-AnoGAN's izi_f); the class readers, where the model has them. Each calibration (after every
// epoch of the encoder and the readers) sets the thresholds on the held-out normal images, and
// those for drawings on the same images as the canvas draws them where the caller gives them
// (PreparedImages: core cannot draw; run_training() of oddigit/training_run.h makes them). The
// encoder also sees some images with a fragment of another added or wiped, and learns to give
// back the clean image (see corrupted_digits()). While the GAN learns, D's class head learns
// which normal class an image is, or that it is none: its non-members are made from the batch's
// own images (turned, or stitched or overlaid with an image of another class), so training sees
// nothing but the normal training images.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "oddigit/distributed.h"
#include "oddigit/image.h"
#include "oddigit/model.h"

namespace oddigit {

// What the digit readers learn as "not a digit", besides the normal digits.
enum class ReaderNegatives {
    None,       // nothing: the normal digits alone
    Abnormal,   // pixel noise, a heavy blur, and turns that give no digit back, of the normal digits
    GanMixes,   // G's images of half-and-half mixes of two digits' codes (the encoder's), of two classes
};

// The digit readers (ModelInfo::reader_term), trained after the encoder for models of two or
// more normal classes, on the normal training digits each moved by a small random affine change
// and, for a third each way, a thicker or thinner pen (docs/method.md, "The digit reader").
// The defaults are the recipe shipped ("Shipping the digit reader (0.9)" of docs/decisions.md);
// the other settings are the candidates measured against it, which only bench/reader_lab.cpp
// sets, so that bench/shape-candidates.sh reproduces the choice.
struct ReaderParams {
    int epochs = 3;                   // 0: no readers
    int count = 1;                    // readers, averaged (each its own start)
    ReaderTerm term = ReaderTerm::Neighbours;
    ReaderNegatives negatives = ReaderNegatives::None;
    float learning_rate = 1e-3f;      // Adam (their term's weight is TrainParams::terms')
    bool scanner_variation = false;   // the digits also blurred or scanned coarsely, as other scanners give them
    int features = 128;               // hidden features of each reader (Architecture::reader_features)
    // Trained by a supervised contrastive loss on two writer-varied views (KNN+'s reader)
    // instead of cross-entropy; one process only.
    bool contrastive = false;
    // Neighbours: the bank also holds the first kBankRescanImages training images as other
    // scanning pipelines give them (PreparedImages::bank_rescans; the app and the command line
    // turn it on, and run_training() makes them).
    bool bank_rescans = false;
};
// The training images the readers' bank holds rescanned.
constexpr int64_t kBankRescanImages = 4000;

// The images a run needs that core cannot make, since they are drawn or rescanned: the caller
// makes them before training (run_training() of oddigit/training_run.h does).
struct PreparedImages {
    // The held-out normal images as the app's canvas draws them (redraw_as_drawn() of
    // oddigit/canvas_calibration.h), for the thresholds of drawings (calibrate_canvas()). Empty:
    // the model has none, and drawings are measured as scans.
    ImageBatch validation_drawn;
    // Where banks_rescans(): the first kBankRescanImages training images through every scanning
    // pipeline (bank_rescans() of oddigit/rescan.h).
    ImageBatch bank_rescans;
};

struct TrainParams {
    Architecture architecture;        // its readers and classes follow the settings below (settled by train())
    // Where the data came from, and its classes (MNIST's digits, or an image folder's, named)
    // with the normal ones among them. All go in the model; the data is chosen by the caller.
    DataSource data_source;
    std::optional<DataSource> test_data;  // a test folder of the same classes, recorded for Explore (ModelInfo::test_data)
    ClassSet normal_classes = ClassSet::all();
    // Epochs of each phase; 0: default_epochs() for the training set's size.
    int gan_epochs = 0;
    int encoder_epochs = 0;
    int batch_size = 64;               // the whole batch; each rank of a distributed run takes its share
    float gan_learning_rate = 2e-4f;
    float encoder_learning_rate = 5e-4f;
    // Share of the encoder's training digits it sees corrupted (corrupted_digits()) while
    // G(E(x)) must still give back the clean digit, so a foreign or missing stroke stays in
    // the residual instead of being reconstructed. In [0, 1].
    float encoder_corruption = 0.5f;
    // The score's weights, which the model keeps (kappa also weighs the features in the
    // encoder's loss); their scales are the calibration's, not the training's. The feature
    // density is fitted after the GAN phase on D's features of the training images.
    ScoreTerms terms;
    ReaderParams reader;
    // docs/decisions.md says how each default above was chosen, without test labels.
    float threshold_quantile = 0.95f;  // share of validation images the calibration leaves unflagged
    float shape_share = 0.5f;          // the shape channel's share of those it flags (ModelInfo::shape_share)
    uint64_t seed = 1;
    std::string device = "cpu";        // "cpu" or "cuda"
    // CPU threads for training. 0: tuned while training between 1 and available_cores() by
    // timing the steps (drops the threads that would only wait for a core another process
    // took, takes them back when it is free). A fixed count gives the same weights on every
    // run, resume included.
    int threads = 0;
    // Files. The model is saved after each encoder epoch, the resume state after each
    // epoch of either phase (and after the feature density's fit); both atomically. Empty
    // output_path: nothing is written. A distributed rank R > 0 writes to rank_output_path().
    std::string output_path;
    bool resume = false;               // continue from resume_path(output_path)
    // Non-empty: take G, D and the feature density from this finished model, trained with the
    // same settings and GAN epochs, and train only a new encoder on them, as a full run would
    // after its GAN phase: a model from before a change to the encoder's training gets the
    // new encoder in the encoder phase's time. Must differ from output_path, which the
    // encoder phase writes after every epoch.
    std::string gan_from;
    // Non-empty: as gan_from, the encoder kept too, so only the digit readers are trained: a
    // model from before them gets them in the reader phase's time.
    std::string encoder_from;
    // Several processes training one model (oddigit/distributed.h). Every rank draws the
    // whole batch's noise and non-digits from the same seeded streams and trains on its
    // rows; BatchNorm takes its statistics over the whole batch (SyncBatchNorm), and the
    // gradients are summed over the ranks, so every rank keeps the weights one process
    // would have, but for the order floats are added in.
    DistributedParams distributed;
};

// Whether a run with these settings trains readers: reader epochs and two or more normal classes.
bool trains_readers(const TrainParams& params);
// Whether its readers' bank holds rescanned training images (PreparedImages::bank_rescans).
bool banks_rescans(const TrainParams& params);

// A duration for people: "1h 02m", "3m 07s", "12s" (e.g. TrainProgress::eta_seconds).
std::string format_duration(double seconds);

// default_epochs(): a training set under kSmallTrainingSet images (a model of one or two
// digits) gets kSmallSetEpochs, a larger one kLargeSetEpochs.
constexpr int64_t kSmallTrainingSet = 20000;
constexpr int kSmallSetEpochs = 80;
constexpr int kLargeSetEpochs = 40;

// The epochs a phase runs when TrainParams leaves them at 0: 80 for a training set under
// 20,000 images (a model of one or two digits), 40 for a larger one (docs/decisions.md).
int default_epochs(int64_t train_images);

// output_path with ".safetensors" replaced by ".resume.safetensors".
std::string resume_path(const std::string& output_path);

// What a run was started with, as its resume file records it, so that resuming needs nothing
// but the model's path: the settings a resumed run must keep (train() refuses to resume with
// others: the networks' sizes, the classes, the batch, the seed, the data) and those it may
// change (the epochs, the learning rates, the score's weights).
struct RunSettings {
    // As the run recorded them (ModelInfo::training_json and the model's own fields), epochs as
    // settled; device, threads, files and reader.bank_rescans are the caller's to set.
    TrainParams params;
    int64_t train_images = 0;       // the training images the run learns from
    int64_t validation_images = 0;  // the normal images it held out
    int gan_epochs_done = 0;        // a GAN phase the encoder has trained on cannot be extended
    int encoder_epochs_done = 0;
};
// Reads them from the resume file at path. Throws Error when it is missing, damaged or not a
// resume file.
RunSettings read_run_settings(const std::string& path);

// Where a rank of a distributed run writes its copy of the model: output_path itself for rank
// 0, with ".rankR" before ".safetensors" for rank R > 0 (model.safetensors: model.rank1.safetensors),
// so ranks that share a folder, or one command line as under torchrun, never write one file.
std::string rank_output_path(const std::string& output_path, int rank);

// Training runs the GAN, then fits the feature density to the final D, then trains the encoder,
// then the digit readers.
enum class TrainPhase { Gan, Density, Encoder, Reader };
const char* phase_name(TrainPhase phase);

struct TrainProgress {
    TrainPhase phase = TrainPhase::Gan;
    int epoch = 0;             // 1-based, within the phase
    int epochs = 0;            // in the phase
    int step = 0;              // 1-based, within the epoch (density: the images' chunk)
    int steps = 0;             // per epoch (density: chunks)
    int64_t global_step = 0;   // across both phases, for plotting
    int64_t total_steps = 0;
    double discriminator_loss = 0;  // GAN phase, the digit head's loss included
    double digit_loss = 0;          // GAN phase: the digit head's cross-entropy, digits and non-digits
    double generator_loss = 0;      // GAN phase
    double d_real = 0;              // mean D(x) logit on real images, GAN phase
    double d_fake = 0;              // mean D(G(z)) logit, GAN phase
    double encoder_loss = 0;        // encoder phase
    double reader_loss = 0;         // reader phase: the readers' mean cross-entropy
    double images_per_second = 0;
    double eta_seconds = 0;
};

struct EpochSummary {
    TrainPhase phase = TrainPhase::Gan;
    int epoch = 0;
    int epochs = 0;
    ImageBatch samples;               // G(z) for a fixed set of z, the same every epoch
    // Encoder phase: the held-out normal images' mean stroke channel (their residuals), which
    // falls as the encoder learns (their scores, being ratios to thresholds set each epoch, do not).
    double validation_mean_stroke = 0;
    double seconds = 0;
    // Of seconds, the time spent summing with the other ranks of a distributed run: sending,
    // receiving, and waiting for the slowest rank. 0 in a run of one process.
    double exchange_seconds = 0;
};

// Pause, resume and cancel from another thread; the trainer obeys between steps.
class TrainControl {
public:
    void pause();
    void resume();
    void cancel();
    bool paused() const { return paused_; }
    bool cancelled() const { return cancelled_; }
    // Called by the trainer: blocks while paused. Returns false once cancelled.
    bool wait_if_paused();

private:
    std::atomic<bool> paused_{false};
    std::atomic<bool> cancelled_{false};
    std::mutex mutex_;
    std::condition_variable wake_;
};

struct TrainCallbacks {
    std::function<void(const TrainProgress&)> on_progress;  // every few steps
    std::function<void(const EpochSummary&)> on_epoch;      // after each epoch
};

enum class TrainOutcome { Finished, Cancelled };

// Where a distributed run's time with the other ranks went: seconds in the collectives that
// carry each kind of figure, waits for a slower rank included. All 0 in a run of one process.
struct ExchangeSeconds {
    double gradients = 0;     // G's, D's and E's gradients, once per optimizer step
    double batch_norm = 0;    // BatchNorm's per-channel sums, forward and backward
    double step_figures = 0;  // the losses and the go-on flag of each step
    double total() const { return gradients + batch_norm + step_figures; }
};

struct TrainResult {
    TrainOutcome outcome = TrainOutcome::Finished;
    double seconds = 0;
    ExchangeSeconds exchange;
    // The trained and calibrated model; when cancelled, the state at the last finished
    // step (its encoder or threshold may be untrained).
    AnomalyModel model;
};

// The corruption the encoder learns to undo, on digits in [0, 1]: each image, with probability
// share, gets a window of the next image in the batch (the last takes the first's), 6 to 14
// pixels a side, laid at a random place at least 2 pixels from the border, either as more ink
// (the brighter ink wins) or, for half of them, as an eraser that wipes the image under the
// window's ink. Nothing but the normal training digits is used. Returns the corrupted copy;
// seed fixes the draws. Throws Error when share is outside [0, 1].
ImageBatch corrupted_digits(const ImageBatch& digits, float share, uint64_t seed);

// Trains on the normal training images and their digits; validation images (normal, held
// out) set the thresholds and the reported validation loss, the prepared images the thresholds
// of drawings and the readers' bank. Calls init_worker_thread() itself. The model is saved,
// calibrated, after every epoch of the encoder and the readers. Throws Error when an input set
// is empty, labels and images differ in number or a label is not a digit, the readers' bank
// wants rescans and none are prepared, a resume file is missing or belongs to other settings,
// the gan_from model is unreadable or was trained with other settings, a loss becomes NaN or
// infinite (the last saved files are kept), or a file cannot be written.
TrainResult train(const LabelledImages& train_set, const ImageBatch& validation_images,
                  const TrainParams& params, const TrainCallbacks& callbacks = {},
                  TrainControl* control = nullptr, const PreparedImages& prepared = {});

}  // namespace oddigit
