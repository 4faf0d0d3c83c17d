#include <cmath>
#include <numeric>
#include <nlohmann/json.hpp>

#include "model_impl.h"
#include "process_group.h"
#include "runtime/thread_tuner.h"
#include "score/calibration.h"
#include "train/checkpoint.h"
#include "train/params.h"
#include "train/progress.h"
#include "train/steps.h"
#include "train/synthetic.h"
#include "oddigit/calibration.h"
#include "oddigit/error.h"
#include "oddigit/runtime.h"
#include "oddigit/train.h"

namespace oddigit {

namespace {

// A density fit keeps its sums in the resume file after this many seconds of fitting. The
// sums of a full-width D are 80 MB (its features' covariance in double): kept every 30 s, a
// fit of all of MNIST (about a minute here) writes them two or three times.
constexpr double kDensityKeepSeconds = 30;
// Latent vectors behind the per-epoch sample grid.
constexpr int kSampleCount = 64;
// epoch_random()'s seed: the run's seed, the phase and the epoch, spread apart by these primes
// so that no two (seed, phase, epoch) of a run share a stream.
constexpr uint64_t kSeedStride = 1000003;
constexpr uint64_t kPhaseStride = 10007;

using nlohmann::json;

int steps_per_epoch(const TrainParams& params, int64_t train_images) {
    return static_cast<int>(std::max<int64_t>(1, train_images / params.batch_size));
}

class Trainer {
public:
    Trainer(const LabelledImages& train_set, const ImageBatch& validation_images, const TrainParams& requested,
            const TrainCallbacks& callbacks, TrainControl* control)
        : params_(detail::settled_params(requested, train_set, validation_images)),
          control_(control),
          validation_images_(validation_images),
          model_(AnomalyModel::create(params_.architecture, params_.seed)),
          device_(detail::usable_device(params_.device)),
          noise_(at::detail::createCPUGenerator(params_.seed + 1)),
          threads_(params_.threads, available_cores()),
          train_count_(train_set.images.size()),
          steps_(steps_per_epoch(params_, train_count_)),
          progress_(callbacks, params_.gan_epochs, params_.encoder_epochs, steps_) {
        model_.impl().to(device_);
        ModelInfo& info = model_.info();
        info.normal_classes = params_.normal_classes;
        info.kappa = params_.kappa;
        info.knows_digits = true;
        info.digit_weight = params_.digit_weight;
        info.density_weight = params_.density_weight;
        info.realness_weight = params_.realness_weight;
        info.threshold_quantile = params_.threshold_quantile;
        info.training_json = detail::describe(params_, train_count_, validation_images.size()).dump();

        images_ = detail::to_tensor(train_set.images, 0, train_count_, device_);
        labels_ = torch::tensor(std::vector<int64_t>(train_set.labels.begin(), train_set.labels.end()), torch::kLong)
                      .to(device_);
        fixed_noise_ = torch::randn({kSampleCount, params_.architecture.latent_dim},
                                    at::detail::createCPUGenerator(params_.seed + 2))
                           .to(device_);
        optimizers_ = detail::make_optimizers(model_.impl(), params_);
        // Joined last: a rank that refuses its settings above stops before the others wait for it.
        group_ = std::make_unique<detail::ProcessGroup>(params_.distributed);
        refuse_shared_outputs();
        if (params_.resume)
            resume();
        else if (!params_.gan_from.empty())
            take_gan(params_.gan_from);
    }

    TrainResult run() {
        const Stopwatch start;
        auto& impl = model_.impl();
        // BatchNorm over the whole batch of every rank, while this run's group lives.
        if (group_->world_size() > 1) {
            const detail::RankSum rank_sum = [this](const torch::Tensor& part) { return group_->sum_with_gradient(part); };
            impl.generator->synchronise_batch_norm(rank_sum);
            impl.encoder->synchronise_batch_norm(rank_sum);
        }
        bool cancelled = false;
        for (int epoch = done_.gan + 1; epoch <= params_.gan_epochs && !cancelled; ++epoch) {
            cancelled = !gan_epoch(epoch);
            if (!cancelled) {
                done_.gan = epoch;
                save_resume();
            }
        }
        threads_.reset();
        if (!cancelled) {
            // G and D are frozen from here on: only E learns (izi_f).
            impl.generator->eval();
            impl.discriminator->eval();
            detail::set_trainable(*impl.generator, false);
            detail::set_trainable(*impl.discriminator, false);
            // D is final, so its features' density can be fitted (a resumed run has it already),
            // and kept at once: a run stopped from here on resumes at the encoder phase.
            if (!model_.info().knows_density) {
                cancelled = !fit_density();
                if (!cancelled) save_resume();
            }
        }
        bool trained_encoder = false;
        for (int epoch = done_.encoder + 1; epoch <= params_.encoder_epochs && !cancelled; ++epoch) {
            cancelled = !encoder_epoch(epoch);
            if (!cancelled) {
                trained_encoder = true;
                done_.encoder = epoch;
                if (!params_.output_path.empty()) model_.save(params_.output_path);
                save_resume();
            }
        }
        if (!cancelled && !trained_encoder) {
            // A resumed run that had already finished: nothing left to train, but kappa or the
            // threshold quantile may have changed, or the calibration may be for an older score.
            calibrate(model_, validation_images_, params_.threshold_quantile);
            if (!params_.output_path.empty()) model_.save(params_.output_path);
            save_resume();
        }
        detail::set_trainable(*impl.generator, true);
        detail::set_trainable(*impl.discriminator, true);
        impl.generator->synchronise_batch_norm({});
        impl.encoder->synchronise_batch_norm({});
        impl.to(torch::kCPU);
        return TrainResult{cancelled ? TrainOutcome::Cancelled : TrainOutcome::Finished, start.seconds(),
                           group_->exchange_seconds(), std::move(model_)};
    }

private:
    // Returns false when cancelled.
    bool gan_epoch(int epoch) {
        auto& impl = model_.impl();
        impl.generator->train();
        impl.discriminator->train();
        const Stopwatch epoch_start;
        const double exchange_start = group_->exchange_seconds().total();
        at::Generator random = epoch_random(TrainPhase::Gan, epoch);
        const torch::Tensor order = epoch_order(random);
        for (int step = 1; step <= steps_; ++step) {
            if (!all_ranks_continue()) return false;
            const Stopwatch step_start;
            const double step_exchange_start = step_started();
            // Every rank draws the whole batch's noise and non-digits, so the random stream
            // stays the same on all of them, and trains on its share.
            const torch::Tensor indices = batch_indices(order, step);
            const torch::Tensor batch = images_.index_select(0, indices);
            const torch::Tensor batch_labels = labels_.index_select(0, indices);
            const torch::Tensor batch_noise =
                torch::randn({batch.size(0), params_.architecture.latent_dim}, noise_).to(device_);
            const torch::Tensor batch_non_digits = detail::synthetic_non_digits(batch, batch_labels, noise_);
            detail::GanBatch shares{share(batch), share(batch_labels), share(batch_noise), share(batch_non_digits),
                                    batch_non_digits.size(0) >= group_->world_size(),
                                    static_cast<double>(batch.size(0)), static_cast<double>(batch_non_digits.size(0))};
            const detail::GanLosses losses = detail::gan_step(*impl.generator, *impl.discriminator,
                                                              *optimizers_.generator, *optimizers_.discriminator,
                                                              shares, sum_gradients());

            // The whole batch's figures; every rank sees the same, a NaN included.
            const torch::Tensor figures =
                torch::stack({losses.discriminator, losses.digit, losses.generator,
                              losses.real_logits.sum() / shares.whole_batch, losses.fake_logits.sum() / shares.whole_batch})
                    .detach()
                    .to(torch::kCPU, torch::kDouble);
            group_->sum({figures}, &ExchangeSeconds::step_figures);
            const auto figure = figures.accessor<double, 1>();
            TrainProgress progress = progress_.at(TrainPhase::Gan, epoch, params_.gan_epochs, step);
            progress.discriminator_loss = figure[0];
            progress.digit_loss = figure[1];
            progress.generator_loss = figure[2];
            progress.d_real = figure[3];
            progress.d_fake = figure[4];
            check_finite(progress.discriminator_loss, "discriminator", progress);
            check_finite(progress.generator_loss, "generator", progress);
            step_done(progress, batch.size(0), step_start, step_exchange_start);
        }
        progress_.epoch_done({TrainPhase::Gan, epoch, params_.gan_epochs, samples(), 0.0, epoch_start.seconds(),
                              group_->exchange_seconds().total() - exchange_start});
        return true;
    }

    bool encoder_epoch(int epoch) {
        auto& impl = model_.impl();
        impl.encoder->train();
        const Stopwatch epoch_start;
        const double exchange_start = group_->exchange_seconds().total();
        at::Generator random = epoch_random(TrainPhase::Encoder, epoch);
        const torch::Tensor order = epoch_order(random);
        for (int step = 1; step <= steps_; ++step) {
            if (!all_ranks_continue()) return false;
            const Stopwatch step_start;
            const double step_exchange_start = step_started();
            // As in the GAN phase, every rank corrupts the whole batch and takes its share.
            const torch::Tensor batch = images_.index_select(0, batch_indices(order, step));
            const torch::Tensor clean = share(batch);
            const torch::Tensor input = share(detail::corrupt(batch, params_.encoder_corruption, random));
            const torch::Tensor loss = detail::encoder_step(*impl.encoder, *impl.generator, *impl.discriminator,
                                                            *optimizers_.encoder, clean, input, params_.kappa,
                                                            batch.size(0), sum_gradients());

            const torch::Tensor figures = loss.detach().reshape({1}).to(torch::kCPU, torch::kDouble);
            group_->sum({figures}, &ExchangeSeconds::step_figures);
            TrainProgress progress = progress_.at(TrainPhase::Encoder, epoch, params_.encoder_epochs, step);
            progress.encoder_loss = figures.item<double>();
            check_finite(progress.encoder_loss, "encoder", progress);
            step_done(progress, batch.size(0), step_start, step_exchange_start);
        }
        calibrate(model_, validation_images_, params_.threshold_quantile);
        const std::vector<float>& strokes = model_.info().mnist.validation_stroke;
        const double validation_mean_stroke =
            std::accumulate(strokes.begin(), strokes.end(), 0.0) / static_cast<double>(strokes.size());
        impl.encoder->train();
        progress_.epoch_done({TrainPhase::Encoder, epoch, params_.encoder_epochs, samples(), validation_mean_stroke,
                              epoch_start.seconds(), group_->exchange_seconds().total() - exchange_start});
        return true;
    }

    // Every rank given an output path writes its copy of the model and resume file, rank R > 0
    // at rank_output_path(). Two ranks on one machine writing one file would tear it: every
    // rank refuses a run where two such paths meet.
    void refuse_shared_outputs() {
        const int ranks = group_->world_size(), rank = group_->rank();
        if (ranks == 1) return;
        const torch::Tensor claims = torch::zeros({ranks}, torch::kDouble);
        const double mine = params_.output_path.empty() ? 0.0 : detail::output_claim(params_.output_path);
        claims[rank] = mine;
        group_->sum({claims}, &ExchangeSeconds::step_figures);
        for (int other = 0; other < ranks; ++other)
            if (other != rank && mine != 0 && claims[other].item<double>() == mine)
                throw Error("ranks " + std::to_string(std::min(rank, other)) + " and " +
                            std::to_string(std::max(rank, other)) + " would both write '" + params_.output_path +
                            "' on this machine (rank R > 0 writes its --out with .rankR inserted); give them paths that do not meet");
    }

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

    detail::GradientSum sum_gradients() {
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
        ImageBatch images = detail::to_images(generator.forward(fixed_noise_));
        generator.train(was_training);
        return images;
    }

    // Returns false when cancelled: the model is left without a density, which a resume fits.
    bool fit_density() {
        const int64_t total = images_.size(0);
        const auto chunks_for = [](int64_t images) {
            return static_cast<int>((images + detail::kDensityChunk - 1) / detail::kDensityChunk);
        };
        const Stopwatch start;
        Stopwatch chunk_start, kept;
        // A resumed fit goes on from the images its kept sums hold.
        const int64_t from = done_.density_images;
        int64_t reported = from;
        const auto after_chunk = [&](int64_t fitted) {
            // Step 0 of a one-epoch phase after the GAN: global_step stays at the GAN's last step.
            TrainProgress progress = progress_.at(TrainPhase::Density, 1, 1, 0);
            progress.step = chunks_for(fitted);
            progress.steps = chunks_for(total);
            const double chunk_seconds = chunk_start.seconds();
            chunk_start.restart();
            const double density_left = start.seconds() / static_cast<double>(fitted - from) * (total - fitted);
            progress_.density_chunk_done(progress, fitted - reported, chunk_seconds, density_left);
            reported = fitted;
            // The sums are kept now and then, and once all are in, before the fit's long last
            // step: a stopped run goes on from them.
            if (fitted == total || kept.seconds() >= kDensityKeepSeconds) {
                done_.density_images = fitted;
                save_resume();
                kept.restart();
            }
            return all_ranks_continue();
        };
        const bool fitted = detail::fit_density(model_.impl(), images_, labels_, after_chunk, from);
        if (fitted) done_.density_images = 0;
        return fitted;
    }

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

    void save_resume() {
        if (params_.output_path.empty()) return;
        detail::write_resume(resume_path(params_.output_path), model_, optimizers_, noise_,
                             detail::fixed_settings(params_, train_count_), done_);
    }

    void resume() {
        if (params_.output_path.empty()) throw Error("resuming needs the output path of the earlier run");
        const std::string path = resume_path(params_.output_path);
        detail::ResumeFile resumed = detail::read_resume(path, detail::fixed_settings(params_, train_count_));
        adopt(std::move(resumed.model));
        detail::restore_states(resumed, path, model_.impl(), optimizers_, noise_);
        done_ = resumed.done;
        if (done_.encoder > 0 && params_.gan_epochs > done_.gan)
            throw Error("'" + path + "': the GAN phase ended after " + std::to_string(done_.gan) +
                        " epochs and the encoder was trained on it; it cannot be extended to " +
                        std::to_string(params_.gan_epochs));
        done_.gan = std::min(done_.gan, params_.gan_epochs);
    }

    // TrainParams::gan_from: the saved model's G, D and density with this run's fresh encoder,
    // the one a full run would start its encoder phase with.
    void take_gan(const std::string& path) {
        // What the GAN depends on: the settings a resume keeps, its epochs and rate, and the split.
        json gan_settings = detail::fixed_settings(params_, train_count_);
        gan_settings.update({{"gan_epochs", params_.gan_epochs},
                             {"gan_learning_rate", params_.gan_learning_rate},
                             {"validation_images", validation_images_.size()}});
        adopt(detail::gan_of(path, gan_settings, model_));
        done_.gan = params_.gan_epochs;
    }

    // Takes over a saved model's networks. The settings that may differ from the run that
    // saved them (kappa, the score's weights, the threshold quantile, the training record)
    // follow this run.
    void adopt(AnomalyModel saved) {
        const ModelInfo wanted_info = model_.info();
        model_ = std::move(saved);
        model_.info().training_json = wanted_info.training_json;
        model_.info().kappa = wanted_info.kappa;
        model_.info().digit_weight = wanted_info.digit_weight;
        model_.info().density_weight = wanted_info.density_weight;
        model_.info().realness_weight = wanted_info.realness_weight;
        model_.info().threshold_quantile = wanted_info.threshold_quantile;
        model_.impl().to(device_);
        // The optimizers hold the old parameter tensors: rebuild them on the loaded ones.
        optimizers_ = detail::make_optimizers(model_.impl(), params_);
    }

    TrainParams params_;
    TrainControl* control_;
    const ImageBatch& validation_images_;
    AnomalyModel model_;
    torch::Device device_;
    at::Generator noise_;
    detail::ThreadTuner threads_;
    int64_t train_count_;
    int steps_;
    detail::ProgressReporter progress_;
    torch::Tensor images_;
    torch::Tensor labels_;
    torch::Tensor fixed_noise_;
    detail::EpochsDone done_;
    detail::Optimizers optimizers_;
    std::unique_ptr<detail::ProcessGroup> group_;
};

}  // namespace

TrainResult train(const LabelledImages& train_set, const ImageBatch& validation_images, const TrainParams& params,
                  const TrainCallbacks& callbacks, TrainControl* control) {
    init_worker_thread();
    try {
        Trainer trainer(train_set, validation_images, params, callbacks, control);
        return trainer.run();
    } catch (const c10::Error& error) {
        throw Error(std::string("training failed: ") + error.what_without_backtrace());
    }
}

}  // namespace oddigit
