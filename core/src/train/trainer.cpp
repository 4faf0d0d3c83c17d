#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>

#include "atomic_file.h"
#include "model_impl.h"
#include "process_group.h"
#include "oddigit/error.h"
#include "oddigit/metrics.h"
#include "oddigit/runtime.h"
#include "oddigit/train.h"

namespace oddigit {

namespace {

// Adam's momentum terms for the GAN, as in DCGAN (Radford et al. 2016).
constexpr double kGanBeta1 = 0.5;
constexpr double kGanBeta2 = 0.999;
// Latent vectors behind the per-epoch sample grid.
constexpr int kSampleCount = 64;
// Progress is reported every this many steps.
constexpr int kProgressInterval = 5;
// Weight of the newest measurement in the smoothed seconds-per-step.
constexpr double kRateSmoothing = 0.1;
// Bound on the epoch counts a resume file may claim.
constexpr int kMaxEpochs = 1000000;
// Images per D pass while fitting the feature density.
constexpr int64_t kDensityChunk = 512;
// The density's scale matches spreads measured from the median to this quantile.
constexpr float kSpreadQuantile = 0.95f;
// Between the creator of a model's encoder and that of the GAN it was trained on, when they differ.
constexpr const char* kGanCreatorMark = " (GAN: ";
// Until the encoder phase has been timed, its step is taken to cost this share of a GAN step.
constexpr double kEncoderStepCostGuess = 0.7;
// Weight of the digit head's cross-entropy in D's loss, beside the hinge loss.
constexpr double kDigitLossWeight = 1.0;
// A stitched non-digit takes one digit up to a cut this many pixels from the centre line.
constexpr int64_t kMaxCutOffset = 4;
// An overlaid digit is shifted by up to this many pixels; MNIST leaves a 4-pixel margin.
constexpr int64_t kMaxOverlayShift = 4;
// The encoder's corruption: a fragment's side in pixels, and its least distance from the border.
constexpr int64_t kMinFragmentSide = 6;
constexpr int64_t kMaxFragmentSide = 14;
constexpr int64_t kFragmentMargin = 2;

using Clock = std::chrono::steady_clock;
using nlohmann::json;

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// The settings a resumed run must share with the run that wrote the resume file.
json fixed_settings(const TrainParams& params, int64_t train_count) {
    json settings = {{"latent_dim", params.architecture.latent_dim}, {"width", params.architecture.width},
                     {"normal_classes", params.normal_classes.to_string()}, {"batch_size", params.batch_size},
                     {"seed", params.seed}, {"train_images", train_count}, {"digit_head", true}};
    // Only when distributed, so resume files from one process stay valid.
    if (params.distributed.world_size > 1) settings["world_size"] = params.distributed.world_size;
    return settings;
}

json describe(const TrainParams& params, int64_t train_count, int64_t validation_count) {
    json settings = fixed_settings(params, train_count);
    settings.update({{"gan_epochs", params.gan_epochs}, {"encoder_epochs", params.encoder_epochs},
                     {"gan_learning_rate", params.gan_learning_rate},
                     {"encoder_learning_rate", params.encoder_learning_rate},
                     {"encoder_corruption", params.encoder_corruption}, {"kappa", params.kappa},
                     {"digit_weight", params.digit_weight}, {"density_weight", params.density_weight},
                     {"threshold_quantile", params.threshold_quantile}, {"validation_images", validation_count},
                     {"objective", "hinge loss, spectral-norm discriminator, digit head on synthetic non-digits"}});
    return settings;
}

std::string optimizer_key(const torch::Tensor& parameter) {
    return c10::guts::to_string(parameter.unsafeGetTensorImpl());
}

void put_optimizer(safetensors::File& file, const std::string& prefix, torch::optim::Adam& optimizer,
                   torch::nn::Module& network) {
    for (const auto& item : network.named_parameters()) {
        const auto found = optimizer.state().find(optimizer_key(item.value()));
        if (found == optimizer.state().end()) continue;
        const auto& state = static_cast<const torch::optim::AdamParamState&>(*found->second);
        const std::string name = prefix + item.key();
        file.tensors[name + ".exp_avg"] = detail::to_safetensor(state.exp_avg());
        file.tensors[name + ".exp_avg_sq"] = detail::to_safetensor(state.exp_avg_sq());
        file.tensors[name + ".step"] = detail::to_safetensor(torch::tensor({state.step()}, torch::kLong));
    }
}

void take_optimizer(const safetensors::File& file, const std::string& prefix, torch::optim::Adam& optimizer,
                    torch::nn::Module& network, const std::string& path) {
    for (const auto& item : network.named_parameters()) {
        const std::string name = prefix + item.key();
        if (!file.tensors.count(name + ".exp_avg")) continue;
        auto take = [&](const std::string& suffix, c10::IntArrayRef shape) {
            const auto found = file.tensors.find(name + suffix);
            if (found == file.tensors.end()) throw Error("'" + path + "' lacks the tensor '" + name + suffix + "'");
            torch::Tensor value = detail::from_safetensor(found->second);
            if (value.sizes() != shape) throw Error("'" + path + "': tensor '" + name + suffix + "' has the wrong shape");
            return value;
        };
        auto state = std::make_unique<torch::optim::AdamParamState>();
        const torch::Tensor& parameter = item.value();
        state->exp_avg(take(".exp_avg", parameter.sizes()).to(parameter.device()));
        state->exp_avg_sq(take(".exp_avg_sq", parameter.sizes()).to(parameter.device()));
        state->step(take(".step", {1}).item<int64_t>());
        optimizer.state()[optimizer_key(parameter)] = std::move(state);
    }
}

// Non-digits made from a batch of normal digits [N, 1, 28, 28] in [-1, 1] with labels [N].
// Each digit is turned (a quarter or a half turn), mirrored (left to right or top to bottom),
// or joined with a digit of another class: one's side of a cut with the other's, or both
// overlaid. Left out are the changes that give a digit back: 0 and 8 turned or mirrored any
// way, 1 turned by half or mirrored, 3 mirrored top to bottom, 6 and 9 turned by half (they
// trade places), and joins of two digits of one class. Returns [M, 1, 28, 28], M <= N.
torch::Tensor synthetic_non_digits(const torch::Tensor& digits, const torch::Tensor& labels, at::Generator& random) {
    enum Kind : int64_t { QuarterTurn, HalfTurn, MirrorAcross, MirrorDown, Stitch, Overlay, Kinds };
    const int64_t count = digits.size(0);
    const auto on = [&](torch::Tensor t) { return t.to(digits.device()); };
    const auto coin = [&] { return on(torch::rand({count, 1, 1, 1}, random)) < 0.5; };
    const torch::Tensor kind = on(torch::randint(Kinds, {count}, random, torch::kLong));
    const int64_t partner_shift = torch::randint(1, count, {1}, random, torch::kLong).item<int64_t>();
    const torch::Tensor partner = digits.roll(partner_shift, 0);
    const torch::Tensor partner_labels = labels.roll(partner_shift, 0);

    const torch::Tensor quarter = torch::where(coin(), digits.rot90(1, {2, 3}), digits.rot90(3, {2, 3}));
    const torch::Tensor half = digits.rot90(2, {2, 3});
    const torch::Tensor across = digits.flip({3});
    const torch::Tensor down = digits.flip({2});
    // A cut across or down, at a random offset from the centre line.
    const torch::Tensor cut = on(torch::randint(-kMaxCutOffset, kMaxCutOffset + 1, {count, 1, 1, 1}, random,
                                                torch::kLong)) + kImageSide / 2;
    const torch::Tensor position = torch::arange(kImageSide, digits.options().dtype(torch::kLong));
    const torch::Tensor first_side =
        torch::where(coin(), position.view({1, 1, kImageSide, 1}) < cut, position.view({1, 1, 1, kImageSide}) < cut);
    const torch::Tensor stitched = torch::where(first_side, digits, partner);
    const torch::Tensor shift = torch::randint(-kMaxOverlayShift, kMaxOverlayShift + 1, {2}, random, torch::kLong);
    const torch::Tensor overlaid =
        torch::max(digits, partner.roll({shift[0].item<int64_t>(), shift[1].item<int64_t>()}, {2, 3}));

    const auto of_kind = [&](Kind k) { return (kind == k).view({-1, 1, 1, 1}); };
    const torch::Tensor made = torch::where(
        of_kind(QuarterTurn), quarter,
        torch::where(of_kind(HalfTurn), half,
                     torch::where(of_kind(MirrorAcross), across,
                                  torch::where(of_kind(MirrorDown), down, torch::where(of_kind(Stitch), stitched, overlaid)))));
    const auto is = [&](std::initializer_list<int64_t> digits_list) {
        torch::Tensor hit = torch::zeros_like(labels, torch::kBool);
        for (int64_t d : digits_list) hit = hit | (labels == d);
        return hit;
    };
    const torch::Tensor gives_a_digit_back = is({0, 8}) | ((kind == HalfTurn) & is({1, 6, 9})) |
                                             ((kind == MirrorAcross) & is({1})) | ((kind == MirrorDown) & is({1, 3}));
    const torch::Tensor valid = torch::where(kind < Stitch, ~gives_a_digit_back, partner_labels != labels);
    return made.index_select(0, valid.nonzero().squeeze(1));
}

// The one bound on TrainParams::encoder_corruption and corrupted_digits()'s share.
void check_corruption_share(double share) {
    if (!(share >= 0 && share <= 1)) throw Error("the encoder's corruption share must lie in [0, 1]");
}

// corrupted_digits() on [N, 1, 28, 28] in [-1, 1], on the digits' device.
torch::Tensor corrupt(const torch::Tensor& digits, double share, at::Generator& random) {
    const int64_t count = digits.size(0);
    const auto on = [&](torch::Tensor t) { return t.to(digits.device()); };
    // Per image: whether and how it is corrupted, then where the fragment comes from and goes.
    const torch::Tensor draw = on(torch::rand({count, 7}, random));
    const auto pick = [&](int column, int64_t choices) {
        return (draw.select(1, column) * choices).floor().to(torch::kLong).clamp_max(choices - 1).view({count, 1, 1});
    };
    const torch::Tensor height = kMinFragmentSide + pick(1, kMaxFragmentSide - kMinFragmentSide + 1);
    const torch::Tensor width = kMinFragmentSide + pick(2, kMaxFragmentSide - kMinFragmentSide + 1);
    const auto within = [&](int column, const torch::Tensor& side, int64_t margin) {
        return margin + (draw.select(1, column).view({count, 1, 1}) * (kImageSide - 2 * margin - side + 1)).floor().to(torch::kLong);
    };
    const torch::Tensor from_row = within(3, height, 0), from_column = within(4, width, 0);
    const torch::Tensor to_row = within(5, height, kFragmentMargin), to_column = within(6, width, kFragmentMargin);

    const torch::Tensor row = torch::arange(kImageSide, digits.options().dtype(torch::kLong)).view({1, kImageSide, 1});
    const torch::Tensor column = row.view({1, 1, kImageSide});
    const torch::Tensor inside = (row >= to_row) & (row < to_row + height) & (column >= to_column) & (column < to_column + width);
    const torch::Tensor source = ((row - to_row + from_row).clamp(0, kImageSide - 1) * kImageSide +
                                  (column - to_column + from_column).clamp(0, kImageSide - 1))
                                     .view({count, kImagePixels});
    const torch::Tensor ink = (digits.view({count, kImagePixels}) + 1) * 0.5;
    const torch::Tensor fragment = ink.roll(-1, 0).gather(1, source) * inside.view({count, kImagePixels});

    const torch::Tensor chance = draw.select(1, 0).view({count, 1});
    const torch::Tensor corrupted = torch::where(chance < share / 2, torch::max(ink, fragment),
                                                 torch::where(chance < share, ink * (1 - fragment), ink));
    return (corrupted * 2 - 1).view_as(digits);
}

// Picks the LibTorch thread count of the training thread by timing its steps. A full OpenMP
// team waits at every barrier for its slowest thread, so when another busy process takes a
// core the whole team crawls (oddigit-bench: one busy process beside 2 training threads on 2
// cores, 13 % of the idle speed; beside 1 thread, 97 %). The tuner keeps the count whose steps are
// fastest: it tries one thread fewer at once when steps slow down, and now and then a
// neighbouring count, so it takes the cores back once they are free.
class ThreadTuner {
public:
    // fixed: the count to keep (TrainParams::threads); 0 tunes between 1 and available_cores().
    explicit ThreadTuner(int fixed)
        : tuning_(fixed <= 0), most_(tuning_ ? available_cores() : fixed), current_(most_) {
        set_thread_count(current_);
    }

    // Steps cost differently in each phase: forget what was measured.
    void reset() {
        window_.clear();
        baseline_ = 0;
        steps_since_probe_ = kProbeInterval;
        probe_up_ = false;
        end_probe();
    }

    void after_step(double seconds) {
        if (!tuning_ || most_ == 1) return;
        if (probing_) {
            // The first step after a change warms the new team up; it is not counted.
            if (probe_warm_up_-- > 0) return;
            probe_.push_back(seconds);
            if (static_cast<int>(probe_.size()) == kProbeSteps) finish_probe();
            return;
        }
        window_.push_back(seconds);
        ++steps_since_probe_;
        if (static_cast<int>(window_.size()) < kWindow) return;
        last_mean_ = mean(window_);
        window_.clear();
        if (baseline_ == 0 || last_mean_ < baseline_) baseline_ = last_mean_;
        if (last_mean_ > kSlowdown * baseline_ && current_ > 1)
            start_probe(current_ - 1);
        else if (steps_since_probe_ >= kProbeInterval)
            start_probe(probe_up_ ? current_ + 1 : current_ - 1);
    }

private:
    static constexpr int kWindow = 8;            // steps averaged per measurement
    static constexpr int kProbeSteps = 3;        // steps timed at a candidate count
    static constexpr int kProbeInterval = 200;   // steps between tries of a neighbouring count
    static constexpr double kSlowdown = 1.5;     // a window this much slower than the best re-tunes at once
    static constexpr double kBetter = 0.9;       // a candidate must be this much faster to win

    static double mean(const std::vector<double>& values) {
        double sum = 0;
        for (double v : values) sum += v;
        return sum / static_cast<double>(values.size());
    }

    void start_probe(int candidate) {
        probe_up_ = !probe_up_;
        steps_since_probe_ = 0;
        if (candidate < 1 || candidate > most_) return;
        candidate_ = candidate;
        probing_ = true;
        probe_warm_up_ = 1;
        probe_.clear();
        set_thread_count(candidate_);
    }

    void finish_probe() {
        if (mean(probe_) < kBetter * last_mean_) {
            current_ = candidate_;
            baseline_ = mean(probe_);
        }
        end_probe();
    }

    void end_probe() {
        probing_ = false;
        set_thread_count(current_);
    }

    const bool tuning_;
    const int most_;
    int current_;
    int candidate_ = 0;
    bool probing_ = false;
    bool probe_up_ = false;
    int probe_warm_up_ = 0;
    // The first measurement is followed by a try of one thread fewer: a machine busy from
    // the start shows no slowdown against itself.
    int steps_since_probe_ = kProbeInterval;
    double baseline_ = 0;
    double last_mean_ = 0;
    std::vector<double> window_;
    std::vector<double> probe_;
};

// params with each phase's epochs, where 0, replaced by the default for this training set.
TrainParams with_epochs_for(TrainParams params, int64_t train_images) {
    if (params.gan_epochs == 0) params.gan_epochs = default_epochs(train_images);
    if (params.encoder_epochs == 0) params.encoder_epochs = default_epochs(train_images);
    return params;
}

class Trainer {
public:
    Trainer(const LabelledImages& train_set, const ImageBatch& validation_images, const TrainParams& requested,
            const TrainCallbacks& callbacks, TrainControl* control)
        : params_(with_epochs_for(requested, train_set.images.size())),
          callbacks_(callbacks),
          control_(control),
          validation_images_(validation_images),
          model_(AnomalyModel::create(params_.architecture, params_.seed)),
          device_(detail::usable_device(params_.device)),
          noise_(at::detail::createCPUGenerator(params_.seed + 1)),
          threads_(params_.threads) {
        const ImageBatch& train_images = train_set.images;
        if (train_images.size() < 2 || validation_images.empty())
            throw Error("training needs at least 2 training images and 1 validation image");
        if (static_cast<int64_t>(train_set.labels.size()) != train_images.size())
            throw Error("training needs one label per training image (" + std::to_string(train_set.labels.size()) +
                        " labels for " + std::to_string(train_images.size()) + " images)");
        for (uint8_t label : train_set.labels)
            if (!params_.normal_classes.contains(label))
                throw Error("a training image is labelled " + std::to_string(label) + ", not one of the normal classes " +
                            params_.normal_classes.to_string());
        if (params_.batch_size < 2) throw Error("the batch size must be at least 2");
        const int ranks = params_.distributed.world_size;
        if (ranks > 1 && (params_.batch_size % ranks != 0 || params_.batch_size / ranks < 2))
            throw Error("the batch size " + std::to_string(params_.batch_size) + " must split into " + std::to_string(ranks) +
                        " equal shares of at least 2 images (BatchNorm needs two), one per rank");
        if (params_.gan_epochs < 1 || params_.encoder_epochs < 1) throw Error("each phase needs at least one epoch");
        check_corruption_share(params_.encoder_corruption);
        if (!params_.gan_from.empty() && params_.gan_from == params_.output_path)
            throw Error("the model to take the GAN from, '" + params_.gan_from +
                        "', is also the output, which the encoder phase overwrites; write the new model elsewhere");
        model_.impl().to(device_);
        ModelInfo& info = model_.info();
        info.normal_classes = params_.normal_classes;
        info.kappa = params_.kappa;
        info.knows_digits = true;
        info.digit_weight = params_.digit_weight;
        info.density_weight = params_.density_weight;
        info.threshold_quantile = params_.threshold_quantile;
        info.training_json = describe(params_, train_images.size(), validation_images.size()).dump();

        train_count_ = train_images.size();
        images_ = detail::to_tensor(train_images, 0, train_images.size(), device_);
        labels_ = torch::tensor(std::vector<int64_t>(train_set.labels.begin(), train_set.labels.end()), torch::kLong)
                      .to(device_);
        steps_ = static_cast<int>(std::max<int64_t>(1, train_count_ / params_.batch_size));
        fixed_noise_ = torch::randn({kSampleCount, params_.architecture.latent_dim},
                                    at::detail::createCPUGenerator(params_.seed + 2))
                           .to(device_);
        make_optimizers();
        // Joined last: a rank that refuses its settings above stops before the others wait for it.
        group_ = std::make_unique<detail::ProcessGroup>(params_.distributed);
        if (params_.resume)
            load_resume();
        else if (!params_.gan_from.empty())
            take_gan(params_.gan_from);
    }

    TrainResult run() {
        const Clock::time_point start = Clock::now();
        auto& impl = model_.impl();
        // BatchNorm over the whole batch of every rank, while this run's group lives.
        if (group_->world_size() > 1) {
            const detail::RankSum rank_sum = [this](const torch::Tensor& part) { return group_->sum_with_gradient(part); };
            impl.generator->synchronise_batch_norm(rank_sum);
            impl.encoder->synchronise_batch_norm(rank_sum);
        }
        bool cancelled = false;
        for (int epoch = gan_epochs_done_ + 1; epoch <= params_.gan_epochs && !cancelled; ++epoch) {
            cancelled = !gan_epoch(epoch);
            if (!cancelled) {
                gan_epochs_done_ = epoch;
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
            // D is final, so its features' density can be fitted (a resumed run has it already).
            if (!model_.info().knows_density) cancelled = !fit_density();
        }
        bool trained_encoder = false;
        for (int epoch = encoder_epochs_done_ + 1; epoch <= params_.encoder_epochs && !cancelled; ++epoch) {
            cancelled = !encoder_epoch(epoch);
            if (!cancelled) {
                trained_encoder = true;
                encoder_epochs_done_ = epoch;
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
        return TrainResult{cancelled ? TrainOutcome::Cancelled : TrainOutcome::Finished, seconds_since(start),
                           group_->exchange_seconds(), std::move(model_)};
    }

private:
    void make_optimizers() {
        auto& impl = model_.impl();
        const auto gan_options = torch::optim::AdamOptions(params_.gan_learning_rate).betas({kGanBeta1, kGanBeta2});
        generator_optimizer_ = std::make_unique<torch::optim::Adam>(impl.generator->parameters(), gan_options);
        discriminator_optimizer_ = std::make_unique<torch::optim::Adam>(impl.discriminator->parameters(), gan_options);
        encoder_optimizer_ = std::make_unique<torch::optim::Adam>(
            impl.encoder->parameters(), torch::optim::AdamOptions(params_.encoder_learning_rate));
    }

    // Returns false when cancelled.
    bool gan_epoch(int epoch) {
        auto& impl = model_.impl();
        impl.generator->train();
        impl.discriminator->train();
        const Clock::time_point epoch_start = Clock::now();
        const double exchange_start = group_->exchange_seconds().total();
        at::Generator random = epoch_random(TrainPhase::Gan, epoch);
        const torch::Tensor order = epoch_order(random);
        for (int step = 1; step <= steps_; ++step) {
            if (!all_ranks_continue()) return false;
            const Clock::time_point step_start = Clock::now();
            // Every rank draws the whole batch's noise and non-digits, so the random stream
            // stays the same on all of them, and trains on its share.
            const torch::Tensor indices = batch_indices(order, step);
            const torch::Tensor batch = images_.index_select(0, indices);
            const torch::Tensor batch_labels = labels_.index_select(0, indices);
            const torch::Tensor batch_noise =
                torch::randn({batch.size(0), params_.architecture.latent_dim}, noise_).to(device_);
            const torch::Tensor batch_non_digits = synthetic_non_digits(batch, batch_labels, noise_);
            const torch::Tensor real = share(batch), labels = share(batch_labels), noise = share(batch_noise);
            const torch::Tensor non_digits = share(batch_non_digits);
            // Losses are this rank's part of the whole batch's means: summed over the ranks,
            // they and their gradients are the whole batch's.
            const double batch_count = static_cast<double>(batch.size(0));
            const double non_digit_count = static_cast<double>(batch_non_digits.size(0));

            // 1. Discriminator: hinge loss on real images and on G(z); its digit head names the
            // digit of each real image and calls the synthetic non-digits none.
            const torch::Tensor fake = impl.generator->forward(noise);
            const detail::Critique real_critique = impl.discriminator->forward(real);
            const torch::Tensor& real_logits = real_critique.logits;
            const torch::Tensor fake_logits = impl.discriminator->forward(fake.detach()).logits;
            torch::Tensor digit_loss =
                torch::cross_entropy_loss(real_critique.digit_logits, labels, {}, at::Reduction::Sum) / batch_count;
            // Only when every rank has some: each forward pass moves D's spectral-norm
            // estimates, which must move alike on all ranks.
            if (batch_non_digits.size(0) >= group_->world_size()) {
                const torch::Tensor none = torch::full({non_digits.size(0)}, detail::kNotADigit, labels.options());
                digit_loss = digit_loss + torch::cross_entropy_loss(impl.discriminator->forward(non_digits).digit_logits,
                                                                    none, {}, at::Reduction::Sum) / non_digit_count;
            }
            const torch::Tensor discriminator_loss =
                (torch::relu(1 - real_logits).sum() + torch::relu(1 + fake_logits).sum()) / batch_count +
                kDigitLossWeight * digit_loss;
            discriminator_optimizer_->zero_grad();
            discriminator_loss.backward();
            group_->sum_gradients(*impl.discriminator);
            discriminator_optimizer_->step();

            // 2. Generator: raise D's opinion of G(z).
            const torch::Tensor generator_loss = -impl.discriminator->forward(fake).logits.sum() / batch_count;
            generator_optimizer_->zero_grad();
            generator_loss.backward();
            group_->sum_gradients(*impl.generator);
            generator_optimizer_->step();

            // The whole batch's figures; every rank sees the same, a NaN included.
            const torch::Tensor figures =
                torch::stack({discriminator_loss, digit_loss, generator_loss, real_logits.sum() / batch_count,
                              fake_logits.sum() / batch_count})
                    .detach()
                    .to(torch::kCPU, torch::kDouble);
            group_->sum({figures}, &ExchangeSeconds::step_figures);
            const auto figure = figures.accessor<double, 1>();
            TrainProgress progress = base_progress(TrainPhase::Gan, epoch, params_.gan_epochs, step);
            progress.discriminator_loss = figure[0];
            progress.digit_loss = figure[1];
            progress.generator_loss = figure[2];
            progress.d_real = figure[3];
            progress.d_fake = figure[4];
            check_finite(progress.discriminator_loss, "discriminator", progress);
            check_finite(progress.generator_loss, "generator", progress);
            const double step_seconds = seconds_since(step_start);
            threads_.after_step(step_seconds);
            gan_step_seconds_ = smooth(gan_step_seconds_, step_seconds);
            report(progress, batch.size(0), gan_step_seconds_);
        }
        EpochSummary summary{TrainPhase::Gan, epoch, params_.gan_epochs, samples(), 0.0, seconds_since(epoch_start),
                             group_->exchange_seconds().total() - exchange_start};
        if (callbacks_.on_epoch) callbacks_.on_epoch(summary);
        return true;
    }

    bool encoder_epoch(int epoch) {
        auto& impl = model_.impl();
        impl.encoder->train();
        const Clock::time_point epoch_start = Clock::now();
        const double exchange_start = group_->exchange_seconds().total();
        at::Generator random = epoch_random(TrainPhase::Encoder, epoch);
        const torch::Tensor order = epoch_order(random);
        for (int step = 1; step <= steps_; ++step) {
            if (!all_ranks_continue()) return false;
            const Clock::time_point step_start = Clock::now();
            // As in the GAN phase, every rank corrupts the whole batch and takes its share.
            const torch::Tensor batch = images_.index_select(0, batch_indices(order, step));
            const torch::Tensor real = share(batch);
            const torch::Tensor input = share(corrupt(batch, params_.encoder_corruption, random));

            // izi_f: reconstruct the clean x through G(E(x~)); residuals in pixels and in D's features.
            const torch::Tensor reconstruction = impl.generator->forward(impl.encoder->forward(input));
            const torch::Tensor loss =
                detail::izif_loss(*impl.discriminator, real, reconstruction, params_.kappa).sum() / batch.size(0);
            encoder_optimizer_->zero_grad();
            loss.backward();
            group_->sum_gradients(*impl.encoder);
            encoder_optimizer_->step();

            const torch::Tensor figures = loss.detach().reshape({1}).to(torch::kCPU, torch::kDouble);
            group_->sum({figures}, &ExchangeSeconds::step_figures);
            TrainProgress progress = base_progress(TrainPhase::Encoder, epoch, params_.encoder_epochs, step);
            progress.encoder_loss = figures.item<double>();
            check_finite(progress.encoder_loss, "encoder", progress);
            const double step_seconds = seconds_since(step_start);
            threads_.after_step(step_seconds);
            encoder_step_seconds_ = smooth(encoder_step_seconds_, step_seconds);
            report(progress, batch.size(0), encoder_step_seconds_);
        }
        calibrate(model_, validation_images_, params_.threshold_quantile);
        const std::vector<float>& scores = model_.info().validation_scores;
        double validation_mean_score = 0;
        for (float s : scores) validation_mean_score += s;
        validation_mean_score /= static_cast<double>(scores.size());
        impl.encoder->train();
        EpochSummary summary{TrainPhase::Encoder, epoch, params_.encoder_epochs, samples(), validation_mean_score,
                             seconds_since(epoch_start), group_->exchange_seconds().total() - exchange_start};
        if (callbacks_.on_epoch) callbacks_.on_epoch(summary);
        return true;
    }

    // A random stream per (seed, phase, epoch), so a resumed run sees the same batches and
    // the same corruptions.
    at::Generator epoch_random(TrainPhase phase, int epoch) const {
        return at::detail::createCPUGenerator(params_.seed * 1000003ull + static_cast<uint64_t>(phase) * 10007ull + epoch);
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
        const auto chunks_for = [](int64_t images) { return static_cast<int>((images + kDensityChunk - 1) / kDensityChunk); };
        const Clock::time_point start = Clock::now();
        Clock::time_point chunk_start = start;
        int64_t reported = 0;
        const auto after_chunk = [&](int64_t fitted) {
            // Step 0 of a one-epoch phase after the GAN: global_step stays at the GAN's last step.
            TrainProgress progress = base_progress(TrainPhase::Density, 1, 1, 0);
            progress.step = chunks_for(fitted);
            progress.steps = chunks_for(total);
            const double chunk_seconds = seconds_since(chunk_start);
            chunk_start = Clock::now();
            const double density_left = seconds_since(start) / static_cast<double>(fitted) * (total - fitted);
            report(progress, fitted - reported, chunk_seconds, density_left);
            reported = fitted;
            return all_ranks_continue();
        };
        return detail::fit_density(model_.impl(), images_, labels_, after_chunk);
    }

    TrainProgress base_progress(TrainPhase phase, int epoch, int epochs, int step) const {
        TrainProgress progress;
        progress.phase = phase;
        progress.epoch = epoch;
        progress.epochs = epochs;
        progress.step = step;
        progress.steps = steps_;
        const int64_t phase_offset = phase == TrainPhase::Gan ? 0 : int64_t{params_.gan_epochs} * steps_;
        progress.global_step = phase_offset + int64_t{epoch - 1} * steps_ + step;
        progress.total_steps = int64_t{params_.gan_epochs + params_.encoder_epochs} * steps_;
        return progress;
    }

    // seconds_outside_steps: time left in work the step counts leave out (the density's fit).
    void report(TrainProgress& progress, int64_t batch_images, double step_seconds, double seconds_outside_steps = 0) {
        progress.images_per_second = step_seconds > 0 ? batch_images / step_seconds : 0;
        const int64_t gan_total = int64_t{params_.gan_epochs} * steps_;
        const int64_t gan_left = std::max<int64_t>(0, gan_total - progress.global_step);
        const int64_t encoder_left = progress.total_steps - std::max(progress.global_step, gan_total);
        const double encoder_seconds =
            encoder_step_seconds_ > 0 ? encoder_step_seconds_ : gan_step_seconds_ * kEncoderStepCostGuess;
        progress.eta_seconds = gan_left * gan_step_seconds_ + encoder_left * encoder_seconds + seconds_outside_steps;
        if (callbacks_.on_progress && (progress.step % kProgressInterval == 0 || progress.step == progress.steps))
            callbacks_.on_progress(progress);
    }

    static double smooth(double average, double sample) {
        return average <= 0 ? sample : (1 - kRateSmoothing) * average + kRateSmoothing * sample;
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
        safetensors::File file = detail::to_file(model_);
        auto& impl = model_.impl();
        put_optimizer(file, "optimizer.generator.", *generator_optimizer_, *impl.generator);
        put_optimizer(file, "optimizer.discriminator.", *discriminator_optimizer_, *impl.discriminator);
        put_optimizer(file, "optimizer.encoder.", *encoder_optimizer_, *impl.encoder);
        file.tensors["rng.noise"] = detail::to_safetensor(noise_.get_state());
        file.metadata["oddigit.resume.settings"] = fixed_settings(params_, train_count_).dump();
        file.metadata["oddigit.resume.gan_epochs_done"] = std::to_string(gan_epochs_done_);
        file.metadata["oddigit.resume.encoder_epochs_done"] = std::to_string(encoder_epochs_done_);
        safetensors::write(resume_path(params_.output_path), file);
    }

    void load_resume() {
        if (params_.output_path.empty()) throw Error("resuming needs the output path of the earlier run");
        const std::string path = resume_path(params_.output_path);
        const safetensors::File file = safetensors::read(path);
        const auto settings = file.metadata.find("oddigit.resume.settings");
        if (settings == file.metadata.end())
            throw Error("'" + path + "' is not a resume file (it has no oddigit.resume.settings)");
        json saved;
        try {
            saved = json::parse(settings->second);
        } catch (const json::exception&) {
            throw Error("'" + path + "': damaged oddigit.resume.settings");
        }
        const json wanted = fixed_settings(params_, train_count_);
        if (saved != wanted)
            throw Error("'" + path + "' was written with other settings (" + saved.dump() + ") than this run (" +
                        wanted.dump() + "); a resumed run may change the epochs, learning rates, kappa and "
                        "threshold quantile, not these");
        // A calibration for an older score is dropped: the run calibrates again when it ends.
        adopt(detail::from_file(file, path, {"optimizer.", "rng."}, StaleCalibration::Drop));
        auto& impl = model_.impl();
        take_optimizer(file, "optimizer.generator.", *generator_optimizer_, *impl.generator, path);
        take_optimizer(file, "optimizer.discriminator.", *discriminator_optimizer_, *impl.discriminator, path);
        take_optimizer(file, "optimizer.encoder.", *encoder_optimizer_, *impl.encoder, path);
        const auto rng = file.tensors.find("rng.noise");
        if (rng == file.tensors.end()) throw Error("'" + path + "' lacks the tensor 'rng.noise'");
        try {
            noise_.set_state(detail::from_safetensor(rng->second));
        } catch (const c10::Error&) {
            throw Error("'" + path + "': the tensor 'rng.noise' is not a random generator state");
        }
        gan_epochs_done_ = detail::parse_int(file.metadata, "oddigit.resume.gan_epochs_done", path, 0, kMaxEpochs);
        encoder_epochs_done_ =
            detail::parse_int(file.metadata, "oddigit.resume.encoder_epochs_done", path, 0, kMaxEpochs);
        if (encoder_epochs_done_ > 0 && params_.gan_epochs > gan_epochs_done_)
            throw Error("'" + path + "': the GAN phase ended after " + std::to_string(gan_epochs_done_) +
                        " epochs and the encoder was trained on it; it cannot be extended to " +
                        std::to_string(params_.gan_epochs));
        gan_epochs_done_ = std::min(gan_epochs_done_, params_.gan_epochs);
    }

    // TrainParams::gan_from: the saved model's G, D and density with this run's fresh encoder,
    // the one a full run would start its encoder phase with.
    void take_gan(const std::string& path) {
        AnomalyModel saved = AnomalyModel::load(path, StaleCalibration::Drop);
        const json trained = json::parse(saved.info().training_json, nullptr, false);
        // What the GAN depends on: the settings a resume keeps, its epochs and rate, and the split.
        json gan_settings = fixed_settings(params_, train_count_);
        gan_settings.update({{"gan_epochs", params_.gan_epochs},
                             {"gan_learning_rate", params_.gan_learning_rate},
                             {"validation_images", validation_images_.size()}});
        json differing = json::object();
        for (const auto& [key, value] : gan_settings.items())
            if (!trained.is_object() || trained.value(key, json()) != value) differing[key] = value;
        if (!differing.empty())
            throw Error("'" + path + "' was trained with other settings than this run (" + differing.dump() +
                        " here; it records " + (trained.is_object() ? trained.dump() : std::string("none")) +
                        "); take its GAN with the settings it was trained with");
        if (!saved.info().knows_density)
            throw Error("'" + path + "' has no feature density; give it one with calibrate --density-weight first");
        saved.impl().encoder = model_.impl().encoder;
        const std::string encoder_by = model_.info().created_by;
        const std::string gan_by = gan_creator(saved.info().created_by);
        adopt(std::move(saved));
        // Both releases, for a GAN kept from an older one.
        model_.info().created_by = gan_by == encoder_by ? encoder_by : encoder_by + kGanCreatorMark + gan_by + ")";
        gan_epochs_done_ = params_.gan_epochs;
    }

    // The release that trained a model's GAN: the one named after kGanCreatorMark in a model
    // whose encoder was trained on an older GAN, else the model's creator.
    static std::string gan_creator(const std::string& created_by) {
        const size_t mark = created_by.find(kGanCreatorMark);
        if (mark == std::string::npos || created_by.back() != ')') return created_by;
        const size_t begin = mark + std::strlen(kGanCreatorMark);
        return created_by.substr(begin, created_by.size() - 1 - begin);
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
        model_.info().threshold_quantile = wanted_info.threshold_quantile;
        model_.impl().to(device_);
        // The optimizers hold the old parameter tensors: rebuild them on the loaded ones.
        make_optimizers();
    }

    TrainParams params_;
    TrainCallbacks callbacks_;
    TrainControl* control_;
    const ImageBatch& validation_images_;
    AnomalyModel model_;
    torch::Device device_;
    at::Generator noise_;
    ThreadTuner threads_;
    torch::Tensor images_;
    torch::Tensor labels_;
    torch::Tensor fixed_noise_;
    int64_t train_count_ = 0;
    int steps_ = 0;
    int gan_epochs_done_ = 0;
    int encoder_epochs_done_ = 0;
    double gan_step_seconds_ = 0;
    double encoder_step_seconds_ = 0;
    std::unique_ptr<torch::optim::Adam> generator_optimizer_;
    std::unique_ptr<torch::optim::Adam> discriminator_optimizer_;
    std::unique_ptr<torch::optim::Adam> encoder_optimizer_;
    std::unique_ptr<detail::ProcessGroup> group_;
};

}  // namespace

int default_epochs(int64_t train_images) {
    return train_images < kSmallTrainingSet ? kSmallSetEpochs : kLargeSetEpochs;
}

std::string resume_path(const std::string& output_path) {
    const std::string suffix = ".safetensors";
    if (output_path.size() > suffix.size() && detail::ends_with(output_path, suffix))
        return output_path.substr(0, output_path.size() - suffix.size()) + ".resume.safetensors";
    return output_path + ".resume.safetensors";
}

std::string format_duration(double seconds) {
    const long total = static_cast<long>(seconds + 0.5);
    char text[32];
    if (total >= 3600)
        std::snprintf(text, sizeof text, "%ldh %02ldm", total / 3600, total % 3600 / 60);
    else if (total >= 60)
        std::snprintf(text, sizeof text, "%ldm %02lds", total / 60, total % 60);
    else
        std::snprintf(text, sizeof text, "%lds", total);
    return text;
}

const char* phase_name(TrainPhase phase) {
    switch (phase) {
        case TrainPhase::Gan: return "GAN";
        case TrainPhase::Density: return "density";
        case TrainPhase::Encoder: return "encoder";
    }
    return "?";
}

void TrainControl::pause() { paused_ = true; }

void TrainControl::resume() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        paused_ = false;
    }
    wake_.notify_all();
}

void TrainControl::cancel() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        cancelled_ = true;
    }
    wake_.notify_all();
}

bool TrainControl::wait_if_paused() {
    std::unique_lock<std::mutex> lock(mutex_);
    wake_.wait(lock, [this] { return !paused_ || cancelled_; });
    return !cancelled_;
}

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

namespace detail {

bool fit_density(AnomalyModel::Impl& model, const torch::Tensor& images, const torch::Tensor& digits,
                 const DensityChunkCallback& after_chunk) {
    torch::NoGradGuard no_grad;
    const bool was_training = model.discriminator->is_training();
    model.discriminator->eval();
    model.density->start();
    bool finished = true;
    for (int64_t begin = 0; begin < images.size(0) && finished; begin += kDensityChunk) {
        const int64_t count = std::min(kDensityChunk, images.size(0) - begin);
        model.density->add(model.discriminator->forward(images.narrow(0, begin, count)).features,
                           digits.narrow(0, begin, count));
        if (after_chunk) finished = after_chunk(begin + count);
    }
    if (finished) {
        model.density->finish();
        model.info.knows_density = true;
    }
    model.discriminator->train(was_training);
    return finished;
}

}  // namespace detail

ImageBatch corrupted_digits(const ImageBatch& digits, float share, uint64_t seed) {
    check_corruption_share(share);
    if (digits.empty()) return {};
    at::Generator random = at::detail::createCPUGenerator(seed);
    return detail::to_images(corrupt(detail::to_tensor(digits, 0, digits.size(), torch::kCPU), share, random));
}

void fit_density(AnomalyModel& model, const LabelledImages& train_set) {
    if (train_set.images.empty() || static_cast<int64_t>(train_set.labels.size()) != train_set.images.size())
        throw Error("the feature density needs training images, each with its digit");
    if (std::any_of(train_set.labels.begin(), train_set.labels.end(), [](uint8_t label) { return label > 9; }))
        throw Error("the feature density needs labels that are digits, 0 to 9");
    AnomalyModel::Impl& impl = model.impl();
    const torch::Tensor digits =
        torch::tensor(std::vector<int64_t>(train_set.labels.begin(), train_set.labels.end()), torch::kLong);
    try {
        detail::fit_density(impl, detail::to_tensor(train_set.images, 0, train_set.images.size(), impl.device), digits);
    } catch (const c10::Error& error) {
        throw Error(std::string("fitting the feature density failed: ") + error.what_without_backtrace());
    }
}

void calibrate(AnomalyModel& model, const ImageBatch& validation_images, float quantile_level) {
    if (validation_images.empty()) throw Error("calibration needs validation images");
    ModelInfo& info = model.info();
    std::vector<ImageScore> results = model.score(validation_images);
    if (info.knows_density) {
        // The density's scale follows from the other parts, and the scores from the scale.
        std::vector<float> other_parts, densities;
        for (const ImageScore& score : results) {
            other_parts.push_back(score.pixel_residual + info.kappa * score.feature_residual +
                                  info.digit_weight * score.not_digit);
            densities.push_back(score.feature_density);
        }
        const auto spread = [](const std::vector<float>& values) {
            return quantile(values, kSpreadQuantile) - quantile(values, 0.5);
        };
        const float density_spread = spread(densities);
        info.density_scale = density_spread > 0 ? spread(other_parts) / density_spread : 0.0f;
        results = model.score(validation_images);
    }
    std::vector<float> scores, pixel_parts;
    for (const ImageScore& score : results) {
        scores.push_back(score.score);
        pixel_parts.push_back(score.pixel_residual);
    }
    std::sort(scores.begin(), scores.end());
    info.threshold = quantile(scores, quantile_level);
    info.heat_full_scale = quantile(pixel_parts, quantile_level);
    info.threshold_quantile = quantile_level;
    info.validation_scores = std::move(scores);
}

}  // namespace oddigit
