#pragma once
// A trained anomaly model: generator G, discriminator D (whose last hidden layer gives the
// features f, and whose digit head names the digit or says "not a digit"), encoder E, the
// feature density of D's features, and the calibration. Its score of an image is the larger of
// the two channel ratios of oddigit/score.h; the method is in docs/method.md. Holds no torch types in its
// interface, so the GUI can include it freely.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "oddigit/class_set.h"
#include "oddigit/data_source.h"
#include "oddigit/image.h"
#include "oddigit/score_terms.h"

namespace oddigit {

// Network sizes. Changing them changes the tensor shapes in the file.
struct Architecture {
    int latent_dim = 64;  // length of z (docs/decisions.md: why 64)
    int width = 32;       // channels of the first conv layer; the second has twice as many
    int readers = 0;      // digit readers, averaged (0: none; models before 0.8 and of one class have none)
    int reader_features = 128;  // each reader's hidden features: the layer its nearest-neighbour term compares
    // The classes its data has: MNIST's ten digits, or an image folder's (at most 32). D's head
    // and the readers name one of them, or "none of them" (one more output).
    int classes = 10;
};

// What the digit readers add to the shape channel (docs/method.md, "The digit reader").
enum class ReaderTerm {
    Energy,      // max(0, r - logsumexp of the normal classes' logits), r set at calibration
    Neighbours,  // the mean cosine distance to the 10 nearest training digits' reader features
    NotADigit,   // -log P(a normal class), for readers that learnt a "not a digit" class
};

// Where a channel's values lie among the calibration images' values of that channel, for the
// fused score (docs/method.md, "The score"): derived from them, never stored.
struct ChannelTail {
    std::vector<float> sorted;  // the images' values, ascending
    float mean_excess = 0;      // the mean of those over their 95th percentile, less it
};

// One calibration: the two channels' thresholds and the heat scale an image is measured
// against, and the channel values of the held-out normal images they were set on. A model
// holds two (ModelInfo::mnist and ModelInfo::canvas), set by the same rule on different images.
struct Calibration {
    float stroke = 0.0f;            // the stroke channel's threshold; 0 until set
    float shape = 0.0f;             // the shape channel's threshold; 0: the model has no shape channel
    // Heatmaps are drawn on a fixed scale: a pixel whose heat reaches heat_full_scale gets the
    // colormap's full colour, so equal colours mean equal evidence across images, and a clean
    // image is not "hot". It is the channel quantile of the images' pixel residuals, so a
    // drawing whose pixel residual alone would reach the stroke threshold is near full colour.
    float heat_full_scale = 0.0f;
    float channel_quantile = 0.0f;  // the quantile of its own channel's values each threshold sits at
    // The images' channel values, in their order (both empty, or equally long); derived from
    // them: each channel's tail, and the images' fused scores, sorted.
    std::vector<float> validation_stroke;
    std::vector<float> validation_shape;
    ChannelTail stroke_tail, shape_tail;
    std::vector<float> validation_scores;

    bool is_set() const { return stroke > 0; }
    // Sets the tails and validation_scores from the channel values and thresholds.
    void update_validation_scores();
    // Where a score measured against this calibration sits among its images' scores: the
    // fraction of them below it; 0 without images.
    double percentile(float score) const;
};

struct ModelInfo {
    Architecture architecture;
    DataSource data_source;               // what it learnt from
    // A test folder of its classes. None: an MNIST model is tested on MNIST's test set, a
    // folder's model on nothing (Explore says so).
    std::optional<DataSource> test_data;
    // Its classes, named (an image folder's) or by index (MNIST's digits), and which are normal.
    ClassSet normal_classes;
    // The score's weights and scales (oddigit/score.h has the formula): its training's. Only
    // the terms it measures count (measures(), oddigit/score.h), and its file records only theirs.
    ScoreTerms terms;
    bool knows_classes = false;       // D has a class head (models from before it have none)
    bool knows_density = false;       // holds the feature density (models from before it have none)
    ReaderTerm reader_term = ReaderTerm::Energy;
    float reader_offset = 0.0f;       // Energy: r, the held-out images' median logsumexp
    // Both calibrations set their thresholds so that a share 1 - threshold_quantile of their
    // images has a channel at or above its threshold, the shape channel's threshold reached by
    // shape_share of the images the two thresholds together are reached by (0.5: as many as the
    // stroke channel's).
    float threshold_quantile = 0.95f;
    float shape_share = 0.5f;
    // For scans (MNIST, image files): set on the held-out normal images themselves.
    Calibration mnist;
    // For drawings: set on the held-out images redrawn as the app's canvas draws them
    // (oddigit/canvas_calibration.h), since a drawing has even strokes and no blots. Unset in
    // models without one: drawings then use the MNIST calibration.
    Calibration canvas;
    std::string training_json;        // the TrainParams and data sizes it was trained with
    std::string created_by;           // "oddigit 0.1.0"
};

// What an image is, which decides the calibration its channels are measured against.
enum class InputKind {
    Scanned,  // MNIST, image files, scans: the MNIST calibration
    Drawn,    // drawn on the app's canvas: the canvas calibration, where the model has one
};

// The calibration an image of this kind is measured against: the canvas one for a drawing
// when the model has one, else the MNIST one.
const Calibration& calibration_for(const ModelInfo& info, InputKind input);

enum class ScoreMode {
    Encoder,       // one forward pass: z = E(x)
    LatentSearch,  // AnoGAN: z found by gradient descent on the residual loss
};

struct ScoreParams {
    ScoreMode mode = ScoreMode::Encoder;
    InputKind input = InputKind::Scanned;  // the thresholds the ratios are taken against
    int batch_size = 256;
    // Latent search (AnoGAN, Schlegl et al. 2017): loss (1 - lambda) * R + lambda * D,
    // with R and D the L1 pixel and feature residuals.
    int search_steps = 300;
    float search_lambda = 0.1f;
    float search_learning_rate = 0.05f;
    uint64_t search_seed = 0;
};

// The figures of one image's score, without its pictures (cheap to keep for a whole test set).
struct ScoreFigures {
    // Encoder mode: the fused score, the larger of the channels' tail ratios, reaching 1 exactly
    // when a channel reaches its threshold (oddigit/score.h); search mode: AnoGAN's search loss,
    // which has no threshold.
    float score = 0.0f;
    float stroke_ratio = 0.0f;      // stroke channel / its threshold; 0 in search mode
    float shape_ratio = 0.0f;       // shape channel / its threshold; 0 in search mode or without a shape channel
    float pixel_residual = 0.0f;    // mean of the heatmap's 20 hottest pixels;
                                    // search mode: R, the L1 pixel residual
    float feature_residual = 0.0f;  // search mode: D, the L1 feature residual
    float not_digit = 0.0f;         // -log P(one of the normal digits), from D's digit head
    int best_class = -1;            // the normal class the head finds likeliest; -1 without a head
    float feature_density = 0.0f;   // squared Mahalanobis distance of f(x) to the nearest normal
                                    // class; 0 without a density
    float realness = 0.0f;          // -log sigmoid(D's realness logit of the reconstruction)
    float reader = 0.0f;            // the digit readers' term (ModelInfo::reader_term); 0 without readers
};

struct ImageScore : ScoreFigures {
    Image28 heatmap{};              // (x - x')^2 per pixel, smoothed
    Image28 reconstruction{};       // x' in [0, 1]
};

// What load() does with a model whose threshold and validation scores were computed for
// another anomaly score than this build's (a model saved before the score last changed).
enum class StaleCalibration {
    Reject,  // throw Error saying how to recalibrate it
    Drop,    // load the networks with empty validation values and thresholds 0, for calibrate()
};

class AnomalyModel {
public:
    // Loads a model saved by save() or by training. Throws Error for a file that is not a
    // complete Oddigit model: unreadable, truncated, foreign, or with a missing, extra or
    // misshapen tensor; and for a stale calibration unless stale is Drop.
    static AnomalyModel load(const std::string& path, StaleCalibration stale = StaleCalibration::Reject);

    // A model with fresh random weights (seeded), for training and tests.
    static AnomalyModel create(const Architecture& architecture, uint64_t seed);

    AnomalyModel(AnomalyModel&&) noexcept;
    AnomalyModel& operator=(AnomalyModel&&) noexcept;
    ~AnomalyModel();

    // A deep copy.
    AnomalyModel clone() const;

    // Moves the networks to device, "cpu", "cuda" or "cuda:N"; scoring then runs there (a
    // loaded model starts on the CPU). Throws Error for an unknown device or a CUDA device
    // this machine or this LibTorch does not have.
    void set_device(const std::string& device);

    // Saves atomically in safetensors format. Throws Error when the file cannot be written.
    void save(const std::string& path) const;

    const ModelInfo& info() const;
    ModelInfo& info();

    // Scores each image. Like encode() and generate(), safe to call from several threads at
    // once on one model (a model outside training only reads its networks), but not beside
    // set_device() or a change to info().
    std::vector<ImageScore> score(const ImageBatch& images, const ScoreParams& params = {}) const;
    ImageScore score(const Image28& image, const ScoreParams& params = {}) const;

    // Just the scores, cheaper than score() for large sets (no heatmaps kept).
    std::vector<float> score_values(const ImageBatch& images, const ScoreParams& params = {}) const;

    // Latent codes E(x), latent_dim floats per image.
    std::vector<float> encode(const ImageBatch& images) const;

    // Images G(z) for latent codes given as latent_dim floats per image.
    // Throws Error when the length is not a multiple of latent_dim.
    ImageBatch generate(const std::vector<float>& latents) const;

    // A 64-bit hash (FNV-1a) of every weight, buffer and the calibration: the same for a
    // model, its clone and its saved-and-loaded copy; different once training moves a
    // weight. For caches of results computed from a model.
    uint64_t fingerprint() const;

    struct Impl;
    Impl& impl() { return *impl_; }
    const Impl& impl() const { return *impl_; }

private:
    explicit AnomalyModel(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// The bundled default model's path: $ODDIGIT_MODEL if set, else resources/ in the source
// tree, else the installed copy. Throws Error when none exists.
std::string default_model_path();

}  // namespace oddigit
