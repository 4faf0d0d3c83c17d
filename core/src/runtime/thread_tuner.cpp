#include "thread_tuner.h"

#include <chrono>

#include "oddigit/runtime.h"

namespace oddigit::detail {

namespace {

double mean(const std::vector<double>& values) {
    double sum = 0;
    for (double v : values) sum += v;
    return sum / static_cast<double>(values.size());
}

}  // namespace

ThreadTuner::ThreadTuner(int fixed, int most_when_tuning, Clock clock)
    : clock_(std::move(clock)), tuning_(fixed <= 0), most_(tuning_ ? most_when_tuning : fixed), current_(most_) {
    set_thread_count(current_);
}

double ThreadTuner::steady_seconds() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void ThreadTuner::step_started() { step_start_ = clock_(); }

void ThreadTuner::step_finished(double other_ranks_seconds) {
    after_step(clock_() - step_start_ - other_ranks_seconds);
}

void ThreadTuner::reset() {
    window_.clear();
    baseline_ = 0;
    steps_since_probe_ = kProbeInterval;
    probe_up_ = false;
    end_probe();
}

void ThreadTuner::after_step(double seconds) {
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

void ThreadTuner::start_probe(int candidate) {
    probe_up_ = !probe_up_;
    steps_since_probe_ = 0;
    if (candidate < 1 || candidate > most_) return;
    candidate_ = candidate;
    probing_ = true;
    probe_warm_up_ = 1;
    probe_.clear();
    set_thread_count(candidate_);
}

void ThreadTuner::finish_probe() {
    if (mean(probe_) < kBetter * last_mean_) {
        current_ = candidate_;
        baseline_ = mean(probe_);
    } else {
        // The kept count is still the best: its steps now take last_mean_, slower perhaps than
        // the baseline was, for good (another process took a core). Compare with that from here
        // on, or a lasting slowdown would re-probe after every window.
        baseline_ = last_mean_;
    }
    end_probe();
}

void ThreadTuner::end_probe() {
    probing_ = false;
    set_thread_count(current_);
}

}  // namespace oddigit::detail
