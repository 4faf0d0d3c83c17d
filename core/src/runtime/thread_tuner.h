#pragma once
// Internal: the training thread's LibTorch thread count, tuned by timing its steps.
#include <vector>

namespace oddigit::detail {

// A full OpenMP team waits at every barrier for its slowest thread, so when another busy
// process takes a core the whole team crawls. The tuner keeps the count whose steps are
// fastest: it tries one thread fewer at once when steps slow down, and now and then a
// neighbouring count, so it takes the cores back once they are free. Measurements behind it
// are in docs/decisions.md.
class ThreadTuner {
public:
    // fixed: the count to keep (TrainParams::threads); 0 tunes between 1 and most. Sets the
    // count it starts with (fixed, or most).
    explicit ThreadTuner(int fixed, int most_when_tuning);

    // Steps cost differently in each phase: forget what was measured.
    void reset();

    // Takes the duration of one training step, and may set another thread count for the next.
    void after_step(double seconds);

    // The thread count set now: the one kept, or a candidate being timed.
    int threads() const { return probing_ ? candidate_ : current_; }

private:
    static constexpr int kWindow = 8;            // steps averaged per measurement
    static constexpr int kProbeSteps = 3;        // steps timed at a candidate count
    static constexpr int kProbeInterval = 200;   // steps between tries of a neighbouring count
    static constexpr double kSlowdown = 1.5;     // a window this much slower than the best re-tunes at once
    static constexpr double kBetter = 0.9;       // a candidate must be this much faster to win

    void start_probe(int candidate);
    void finish_probe();
    void end_probe();

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

}  // namespace oddigit::detail
