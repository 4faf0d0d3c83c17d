#pragma once
// Internal: a training run, phase by phase (oddigit/train.h's train()). The epochs' loops are in
// trainer_epochs.cpp, the resume file and the networks taken from a finished model in
// trainer_files.cpp.
#include <cmath>
#include <memory>
#include <numeric>
#include <optional>
#include <nlohmann/json.hpp>

#include "model_impl.h"
#include "process_group.h"
#include "runtime/thread_tuner.h"
#include "score/calibration.h"
#include "train/checkpoint.h"
#include "train/params.h"
#include "train/progress.h"
#include "train/steps.h"
#include "oddigit/calibration.h"
#include "oddigit/error.h"
#include "oddigit/runtime.h"
#include "oddigit/train.h"

namespace oddigit::detail {

// A density fit keeps its sums in the resume file after this many seconds of fitting: the sums
// (its features' covariance in double) are large, so a fit of all of MNIST writes them only a
// few times.
constexpr double kDensityKeepSeconds = 30;
// Latent vectors behind the per-epoch sample grid.
constexpr int kSampleCount = 64;
// epoch_random()'s seed: the run's seed, the phase and the epoch, spread apart by these primes
// so that no two (seed, phase, epoch) of a run share a stream.
constexpr uint64_t kSeedStride = 1000003;
constexpr uint64_t kPhaseStride = 10007;

// Each class's digit: its index for MNIST, the digit it is named by in an image folder, else -1.
inline torch::Tensor class_digits(const TrainParams& params) {
    std::vector<int64_t> digits;
    for (int c = 0; c < params.architecture.classes; ++c) {
        const std::string name = params.normal_classes.name(c);
        digits.push_back(name.size() == 1 && std::isdigit(static_cast<unsigned char>(name[0])) ? name[0] - '0' : -1);
    }
    return torch::tensor(digits, torch::kLong);
}

inline int steps_per_epoch(const TrainParams& params, int64_t train_images) {
    return static_cast<int>(std::max<int64_t>(1, train_images / params.batch_size));
}

class Trainer {
public:
    Trainer(const LabelledImages& train_set, const ImageBatch& validation_images, const TrainParams& requested,
            const TrainCallbacks& callbacks, TrainControl* control, const PreparedImages& prepared)
        : params_(settled_params(requested, train_set, validation_images)),
          control_(control),
          validation_images_(validation_images),
          prepared_(prepared),
          model_(AnomalyModel::create(params_.architecture, params_.seed)),
          device_(usable_device(params_.device)),
          noise_(at::detail::createCPUGenerator(params_.seed + 1)),
          threads_(params_.threads, available_cores()),
          train_count_(train_set.images.size()),
          steps_(steps_per_epoch(params_, train_count_)),
          progress_(callbacks, params_.gan_epochs, params_.encoder_epochs,
                    params_.architecture.readers > 0 ? params_.reader.epochs : 0, steps_) {
        if (banks_rescans(params_) && prepared.bank_rescans.empty())
            throw Error("the readers' bank is to hold rescanned training images (reader.bank_rescans) and none were "
                        "prepared: run_training() of oddigit/training_run.h makes them");
        model_.impl().to(device_);
        ModelInfo& info = model_.info();
        info.normal_classes = params_.normal_classes;
        info.data_source = params_.data_source;
        info.test_data = params_.test_data;
        info.terms = params_.terms;
        info.knows_classes = true;
        // A model without readers keeps ModelInfo's default term, as its file (and so a resume) does.
        if (params_.architecture.readers > 0) info.reader_term = params_.reader.term;
        info.threshold_quantile = params_.threshold_quantile;
        info.shape_share = params_.shape_share;
        info.training_json = describe(params_, train_count_, validation_images.size()).dump();

        images_ = to_tensor(train_set.images, 0, train_count_, device_);
        class_digits_ = class_digits(params_);
        labels_ = torch::tensor(std::vector<int64_t>(train_set.labels.begin(), train_set.labels.end()), torch::kLong)
                      .to(device_);
        fixed_noise_ = torch::randn({kSampleCount, params_.architecture.latent_dim},
                                    at::detail::createCPUGenerator(params_.seed + 2))
                           .to(device_);
        optimizers_ = make_optimizers(model_.impl(), params_);
        // Joined last: a rank that refuses its settings above stops before the others wait for it.
        group_ = std::make_unique<ProcessGroup>(params_.distributed);
        refuse_shared_outputs();
        if (params_.resume)
            resume();
        else if (!params_.gan_from.empty())
            take_networks(params_.gan_from, false);
        else if (!params_.encoder_from.empty())
            take_networks(params_.encoder_from, true);
    }

    TrainResult run() {
        const Stopwatch start;
        auto& impl = model_.impl();
        // BatchNorm over the whole batch of every rank, while this run's group lives.
        if (group_->world_size() > 1) {
            const RankSum rank_sum = [this](const torch::Tensor& part) { return group_->sum_with_gradient(part); };
            impl.generator->synchronise_batch_norm(rank_sum);
            impl.encoder->synchronise_batch_norm(rank_sum);
        }
        // Every weight learns until its phase ends (a model comes in inference mode).
        for (const auto& [prefix, module] : impl.modules()) set_trainable(*module, true);
        bool trained = false;  // whether this run trained a network after the density's fit
        const bool finished = gan_phase() && density_phase() && encoder_phase(trained) && reader_phase(trained);
        if (finished && !trained) {
            // A resumed run that had already finished: nothing left to train, but kappa or the
            // threshold quantile may have changed, or the calibration may be for an older score.
            calibrate_all(model_, validation_images_, prepared_.validation_drawn);
            if (!params_.output_path.empty()) model_.save(params_.output_path);
            save_resume();
        }
        impl.set_inference();
        impl.generator->synchronise_batch_norm({});
        impl.encoder->synchronise_batch_norm({});
        impl.to(torch::kCPU);
        return TrainResult{finished ? TrainOutcome::Finished : TrainOutcome::Cancelled, start.seconds(),
                           group_->exchange_seconds(), std::move(model_)};
    }

private:
    // Each phase returns false when cancelled.
    bool gan_phase() {
        for (int epoch = done_.gan + 1; epoch <= params_.gan_epochs; ++epoch) {
            if (!gan_epoch(epoch)) return false;
            done_.gan = epoch;
            save_resume();
        }
        threads_.reset();
        return true;
    }

    bool density_phase() {
        auto& impl = model_.impl();
        // G and D are frozen from here on: only E learns (izi_f).
        impl.generator->eval();
        impl.discriminator->eval();
        set_trainable(*impl.generator, false);
        set_trainable(*impl.discriminator, false);
        // D is final, so its features' density can be fitted (a resumed run has it already),
        // and kept at once: a run stopped from here on resumes at the encoder phase.
        if (model_.info().knows_density) return true;
        if (!fit_density()) return false;
        save_resume();
        return true;
    }

    bool encoder_phase(bool& trained) {
        for (int epoch = done_.encoder + 1; epoch <= params_.encoder_epochs; ++epoch) {
            if (!encoder_epoch(epoch)) return false;
            trained = true;
            done_.encoder = epoch;
            if (!params_.output_path.empty()) model_.save(params_.output_path);
            save_resume();
        }
        return true;
    }

    bool reader_phase(bool& trained) {
        if (model_.impl().reader->count() == 0) return true;
        // E is final: frozen, as G and D are, for the readers' GAN-made non-digits.
        model_.impl().encoder->eval();
        set_trainable(*model_.impl().encoder, false);
        for (int epoch = done_.reader + 1; epoch <= params_.reader.epochs; ++epoch) {
            if (!reader_epoch(epoch)) return false;
            trained = true;
            done_.reader = epoch;
            if (!params_.output_path.empty()) model_.save(params_.output_path);
            save_resume();
        }
        return true;
    }

    // The frame of one epoch of phase, around its steps: the epoch's seeded order and random
    // stream, each step's batch indices to take_step(indices, random, progress), which takes
    // the step, fills progress with the whole batch's figures (checked for NaN) and returns the
    // batch's size; the ranks' agreement to go on, the step's timing and report; then finish(),
    // which returns the epoch's figure, and the epoch's report. Returns false when stopped.
    template <typename Step, typename Finish>
    bool run_epoch(TrainPhase phase, int epoch, int epochs, Step take_step, Finish finish);
    torch::Tensor summed_figures(const std::vector<torch::Tensor>& figures);

    // One epoch of each phase (run_epoch()). Returns false when stopped.
    bool gan_epoch(int epoch);
    bool encoder_epoch(int epoch);
    bool reader_epoch(int epoch);

    // The first reader's unit-length features of up to kBankImages training digits, for the
    // Neighbours term: a seeded choice, the same on every rank.
    torch::Tensor bank_features();

    // Every rank given an output path writes its copy of the model and resume file, rank R > 0
    // at rank_output_path(). Two ranks on one machine writing one file would tear it: every
    // rank refuses a run where two such paths meet.
    void refuse_shared_outputs();

    // Returns the seconds spent with the other ranks so far, for step_done().
    double step_started() {
        threads_.step_started();
        return group_->exchange_seconds().total();
    }

    void step_done(TrainProgress& progress, int64_t batch_images, const Stopwatch& step_start,
                   double step_exchange_start) {
        // The tuner times this rank's own work: the waits for the others are no thread count's doing.
        threads_.step_finished(group_->exchange_seconds().total() - step_exchange_start);
        progress_.step_done(progress, batch_images, step_start.seconds());
    }

    GradientSum sum_gradients() {
        return [this](torch::nn::Module& network) { group_->sum_gradients(network); };
    }

    // A random stream per (seed, phase, epoch), so a resumed run sees the same batches and
    // the same corruptions.
    at::Generator epoch_random(TrainPhase phase, int epoch) const {
        return at::detail::createCPUGenerator(params_.seed * kSeedStride + static_cast<uint64_t>(phase) * kPhaseStride +
                                              epoch);
    }

    // The epoch's order of the training images, the first draw of its stream.
    torch::Tensor epoch_order(at::Generator& random) const {
        return torch::randperm(train_count_, random, torch::kLong).to(device_);
    }

    // This rank's rows of a tensor that holds the whole batch.
    torch::Tensor share(const torch::Tensor& whole) const {
        const int64_t ranks = group_->world_size(), rank = group_->rank();
        const int64_t begin = whole.size(0) * rank / ranks, end = whole.size(0) * (rank + 1) / ranks;
        return whole.narrow(0, begin, end - begin);
    }

    // Whether every rank goes on: a cancel on any of them stops all of them at the same step.
    bool all_ranks_continue() {
        const bool go_on = !control_ || control_->wait_if_paused();
        if (group_->world_size() == 1) return go_on;
        const torch::Tensor stops = torch::full({1}, go_on ? 0.0 : 1.0, torch::kDouble);
        group_->sum({stops}, &ExchangeSeconds::step_figures);
        return stops.item<double>() == 0;
    }

    torch::Tensor batch_indices(const torch::Tensor& order, int step) const {
        const int64_t size = std::min<int64_t>(params_.batch_size, train_count_);
        return order.narrow(0, (step - 1) * size, size);
    }

    ImageBatch samples() {
        auto& generator = *model_.impl().generator;
        const bool was_training = generator.is_training();
        generator.eval();
        torch::NoGradGuard no_grad;
        ImageBatch images = to_images(generator.forward(fixed_noise_));
        generator.train(was_training);
        return images;
    }

    // Returns false when cancelled: the model is left without a density, which a resume fits.
    bool fit_density();

    void check_finite(double loss, const char* which, const TrainProgress& at) const {
        if (std::isfinite(loss)) return;
        std::string kept = params_.output_path.empty()
                               ? std::string("nothing was saved")
                               : "the files saved after the last finished epoch are kept ('" +
                                     resume_path(params_.output_path) + "'); resume from them, e.g. with a lower learning rate";
        throw Error(std::string("training diverged: the ") + which + " loss became " + std::to_string(loss) + " in " +
                    phase_name(at.phase) + " epoch " + std::to_string(at.epoch) + ", step " + std::to_string(at.step) +
                    "; " + kept);
    }

    void save_resume();

    void resume();

    // TrainParams::gan_from and encoder_from: the saved model's G, D and density (and encoder),
    // with this run's fresh encoder (and readers), as a full run would start the next phase.
    void take_networks(const std::string& path, bool with_encoder);

    // Takes over a saved model's networks. The settings that may differ from the run that
    // saved them (kappa, the score's weights, the threshold quantile, the training record)
    // follow this run.
    void adopt(AnomalyModel saved);

    TrainParams params_;
    TrainControl* control_;
    const ImageBatch& validation_images_;
    const PreparedImages& prepared_;
    AnomalyModel model_;
    torch::Device device_;
    at::Generator noise_;
    ThreadTuner threads_;
    int64_t train_count_;
    int steps_;
    ProgressReporter progress_;
    torch::Tensor images_;
    torch::Tensor labels_;
    torch::Tensor class_digits_;  // each class's digit, -1 for a class that is none
    torch::Tensor fixed_noise_;
    EpochsDone done_;
    Optimizers optimizers_;
    std::unique_ptr<ProcessGroup> group_;
};

}  // namespace oddigit::detail
