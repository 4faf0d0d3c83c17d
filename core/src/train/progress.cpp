#include "progress.h"

#include <algorithm>
#include <cstdio>

namespace oddigit {

namespace detail {

namespace {
// Progress is reported every this many steps.
constexpr int kProgressInterval = 5;
// Weight of the newest measurement in the smoothed seconds-per-step.
constexpr double kRateSmoothing = 0.1;
// Until the encoder and reader phases have been timed, their steps are taken to cost these
// shares of a GAN step.
constexpr double kEncoderStepCostGuess = 0.7;
constexpr double kReaderStepCostGuess = 0.5;

double smooth(double average, double sample) {
    return average <= 0 ? sample : (1 - kRateSmoothing) * average + kRateSmoothing * sample;
}
}  // namespace

ProgressReporter::ProgressReporter(TrainCallbacks callbacks, int gan_epochs, int encoder_epochs, int reader_epochs,
                                   int steps)
    : callbacks_(std::move(callbacks)),
      gan_epochs_(gan_epochs),
      encoder_epochs_(encoder_epochs),
      reader_epochs_(reader_epochs),
      steps_(steps) {}

TrainProgress ProgressReporter::at(TrainPhase phase, int epoch, int epochs, int step) const {
    TrainProgress progress;
    progress.phase = phase;
    progress.epoch = epoch;
    progress.epochs = epochs;
    progress.step = step;
    progress.steps = steps_;
    const int64_t epochs_before = phase == TrainPhase::Gan       ? 0
                                  : phase == TrainPhase::Reader ? gan_epochs_ + encoder_epochs_
                                                                : gan_epochs_;
    progress.global_step = epochs_before * steps_ + int64_t{epoch - 1} * steps_ + step;
    progress.total_steps = int64_t{gan_epochs_ + encoder_epochs_ + reader_epochs_} * steps_;
    return progress;
}

void ProgressReporter::step_done(TrainProgress& progress, int64_t batch_images, double step_seconds) {
    double& phase_seconds = progress.phase == TrainPhase::Gan       ? gan_step_seconds_
                            : progress.phase == TrainPhase::Reader ? reader_step_seconds_
                                                                   : encoder_step_seconds_;
    phase_seconds = smooth(phase_seconds, step_seconds);
    report(progress, batch_images, phase_seconds, 0);
}

void ProgressReporter::density_chunk_done(TrainProgress& progress, int64_t images, double seconds, double seconds_left) {
    report(progress, images, seconds, seconds_left);
}

void ProgressReporter::epoch_done(const EpochSummary& summary) const {
    if (callbacks_.on_epoch) callbacks_.on_epoch(summary);
}

void ProgressReporter::report(TrainProgress& progress, int64_t images, double seconds, double seconds_outside_steps) {
    progress.images_per_second = seconds > 0 ? images / seconds : 0;
    // Steps left in each phase: those between the phase's end and wherever the run is, at most the phase's.
    const int64_t gan_end = int64_t{gan_epochs_} * steps_, encoder_end = gan_end + int64_t{encoder_epochs_} * steps_;
    const auto left_before = [&](int64_t begin, int64_t end) {
        return std::clamp<int64_t>(end - std::max(progress.global_step, begin), 0, end - begin);
    };
    const double encoder_seconds =
        encoder_step_seconds_ > 0 ? encoder_step_seconds_ : gan_step_seconds_ * kEncoderStepCostGuess;
    const double reader_seconds = reader_step_seconds_ > 0 ? reader_step_seconds_ : gan_step_seconds_ * kReaderStepCostGuess;
    progress.eta_seconds = left_before(0, gan_end) * gan_step_seconds_ +
                           left_before(gan_end, encoder_end) * encoder_seconds +
                           left_before(encoder_end, progress.total_steps) * reader_seconds + seconds_outside_steps;
    if (callbacks_.on_progress && (progress.step % kProgressInterval == 0 || progress.step == progress.steps))
        callbacks_.on_progress(progress);
}

}  // namespace detail

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
        case TrainPhase::Reader: return "reader";
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

}  // namespace oddigit
