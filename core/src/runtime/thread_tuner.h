#pragma once
// Internal: the training thread's LibTorch thread count, tuned by timing its steps.
#include <functional>
#include <vector>

namespace oddigit::detail {

// A full OpenMP team waits at every barrier for its slowest thread, so when another busy
// process takes a core the whole team crawls. The tuner keeps the count whose steps are
// fastest: it tries one thread fewer at once when steps slow down, and now and then a
// neighbouring count, so it takes the cores back once they are free. Measurements behind it
// are in docs/decisions.md.
class ThreadTuner {
public:
    // Seconds since a fixed moment: the steady clock, or a fake one in tests.
    using Clock = std::function<double()>;

    // fixed: the count to keep (TrainParams::threads); 0 tunes between 1 and most. Sets the
    // count it starts with (fixed, or most).
    ThreadTuner(int fixed, int most_when_tuning, Clock clock = steady_seconds);

    // Steps cost differently in each phase: forget what was measured.
    void reset();

    // Around each training step. other_ranks_seconds: the part of the step spent exchanging
    // with the other ranks of a distributed run, waits for a slower rank included, which no
    // thread count of this rank changes; it is left out of the step's time. step_finished()
    // may set another thread count for the next step.
    void step_started();
    void step_finished(double other_ranks_seconds = 0);

    // The thread count set now: the one kept, or a candidate being timed.
    int threads() const { return probing_ ? candidate_ : current_; }

private:
    static constexpr int kWindow = 8;            // steps averaged per measurement
    static constexpr int kProbeSteps = 3;        // steps timed at a candidate count
    static constexpr int kProbeInterval = 200;   // steps between tries of a neighbouring count
    static constexpr double kSlowdown = 1.5;     // a window this much slower than the best re-tunes at once
    static constexpr double kBetter = 0.9;       // a candidate must be this much faster to win

    static double steady_seconds();
    void after_step(double seconds);
    void start_probe(int candidate);
    void finish_probe();
    void end_probe();

    const Clock clock_;
    double step_start_ = 0;
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
    double baseline_ = 0;  // the mean step time to compare with: the kept count's, at its last measure
    double last_mean_ = 0;
    std::vector<double> window_;
    std::vector<double> probe_;
};

}  // namespace oddigit::detail
