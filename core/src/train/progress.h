#pragma once
// Internal: what a training run reports as it goes: where it is, how fast, and the time left.
#include <cstdint>

#include "oddigit/train.h"

namespace oddigit::detail {

class ProgressReporter {
public:
    // steps: optimisation steps per epoch, the same in every phase.
    ProgressReporter(TrainCallbacks callbacks, int gan_epochs, int encoder_epochs, int reader_epochs, int steps);

    // A report of step `step` (1-based) of epoch `epoch` of the phase, figures still unset.
    TrainProgress at(TrainPhase phase, int epoch, int epochs, int step) const;

    // After an optimisation step of progress.phase that took step_seconds for batch_images
    // images: updates the phase's smoothed step time and reports every few steps.
    void step_done(TrainProgress& progress, int64_t batch_images, double step_seconds);

    // After a chunk of the density's fit: images fitted in seconds, seconds_left of the fit to go.
    void density_chunk_done(TrainProgress& progress, int64_t images, double seconds, double seconds_left);

    void epoch_done(const EpochSummary& summary) const;

private:
    // seconds_outside_steps: time left in work the step counts leave out (the density's fit).
    void report(TrainProgress& progress, int64_t images, double seconds, double seconds_outside_steps);

    TrainCallbacks callbacks_;
    int gan_epochs_;
    int encoder_epochs_;
    int reader_epochs_;
    int steps_;
    double gan_step_seconds_ = 0;
    double encoder_step_seconds_ = 0;
    double reader_step_seconds_ = 0;
};

}  // namespace oddigit::detail
