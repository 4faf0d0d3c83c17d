// The training thread's thread count, tuned from the step times it is given.
#include "runtime/thread_tuner.h"

#include <gtest/gtest.h>

#include <ATen/Parallel.h>

namespace oddigit {
namespace {

// The tuner sets LibTorch's thread count for the whole process: each test gives it back.
class ThreadTuner : public ::testing::Test {
protected:
    void TearDown() override { at::set_num_threads(threads_before_); }

private:
    const int threads_before_ = at::get_num_threads();
};

using Tuner = detail::ThreadTuner;

// Steps are measured in windows of 8; a candidate count is timed over 3 steps after one
// that warms its team up.
constexpr int kWindow = 8;
constexpr int kProbe = 1 + 3;

// A clock the test moves: each step takes the seconds the test says.
struct FakeClock {
    double now = 100;
    Tuner::Clock clock() {
        return [this] { return now; };
    }
};

// count steps of the given seconds each, of which waiting seconds with the other ranks.
void steps(Tuner& tuner, FakeClock& time, int count, double seconds, double waiting = 0) {
    for (int i = 0; i < count; ++i) {
        tuner.step_started();
        time.now += seconds;
        tuner.step_finished(waiting);
    }
}

// Takes count steps one at a time; returns how many ended at another thread count than kept.
int steps_away_from(int kept, Tuner& tuner, FakeClock& time, int count, double seconds, double waiting = 0) {
    int away = 0;
    for (int step = 0; step < count; ++step) {
        steps(tuner, time, 1, seconds, waiting);
        away += tuner.threads() != kept;
    }
    return away;
}

TEST_F(ThreadTuner, AFixedCountIsKeptWhateverTheSteps) {
    FakeClock time;
    Tuner tuner(3, 8, time.clock());
    EXPECT_EQ(tuner.threads(), 3);
    EXPECT_EQ(at::get_num_threads(), 3);
    steps(tuner, time, 50, 1.0);
    steps(tuner, time, 50, 9.0);
    EXPECT_EQ(tuner.threads(), 3);
}

TEST_F(ThreadTuner, TriesOneThreadFewerAtOnceAndKeepsItWhenFaster) {
    FakeClock time;
    Tuner tuner(0, 2, time.clock());
    EXPECT_EQ(tuner.threads(), 2);
    // A machine busy from the start shows no slowdown against itself: the first window is
    // followed by a try of one thread fewer.
    steps(tuner, time, kWindow, 1.0);
    EXPECT_EQ(tuner.threads(), 1);
    EXPECT_EQ(at::get_num_threads(), 1);
    steps(tuner, time, kProbe, 0.5);
    EXPECT_EQ(tuner.threads(), 1);
    steps(tuner, time, 3 * kWindow, 0.5);
    EXPECT_EQ(tuner.threads(), 1);
}

TEST_F(ThreadTuner, GoesBackWhenTheCandidateIsNoFaster) {
    FakeClock time;
    Tuner tuner(0, 2, time.clock());
    steps(tuner, time, kWindow, 1.0);
    ASSERT_EQ(tuner.threads(), 1);
    steps(tuner, time, kProbe, 0.95);  // within 10 %: not worth a change
    EXPECT_EQ(tuner.threads(), 2);
    EXPECT_EQ(at::get_num_threads(), 2);
}

TEST_F(ThreadTuner, ASlowdownRetriesOneThreadFewer) {
    FakeClock time;
    Tuner tuner(0, 2, time.clock());
    steps(tuner, time, kWindow, 1.0);
    steps(tuner, time, kProbe, 2.0);  // one thread is slower: back to two
    ASSERT_EQ(tuner.threads(), 2);
    steps(tuner, time, kWindow, 1.0);
    EXPECT_EQ(tuner.threads(), 2);
    // Another process takes a core: steps take twice as long, and one thread fewer is tried.
    steps(tuner, time, kWindow, 2.0);
    EXPECT_EQ(tuner.threads(), 1);
    steps(tuner, time, kProbe, 1.1);
    EXPECT_EQ(tuner.threads(), 1);
}

TEST_F(ThreadTuner, TakesTheCoreBackWhenItIsFree) {
    FakeClock time;
    Tuner tuner(0, 2, time.clock());
    steps(tuner, time, kWindow, 1.0);
    steps(tuner, time, kProbe, 0.5);
    ASSERT_EQ(tuner.threads(), 1);
    // Every 200 steps a neighbouring count is tried; once the core is free, two threads win.
    int tried_two = 0;
    for (int step = 0; step < 400 && tuner.threads() == 1; ++step) {
        steps(tuner, time, 1, 0.5);
        tried_two += tuner.threads() == 2;
    }
    ASSERT_EQ(tuner.threads(), 2) << "no try of two threads in 400 steps";
    steps(tuner, time, kProbe, 0.3);
    EXPECT_EQ(tuner.threads(), 2);
    EXPECT_EQ(tried_two, 1);
}

// A lasting slowdown that one thread fewer does not cure becomes the new normal: the tuner
// does not try again after every window, only at its usual interval.
TEST_F(ThreadTuner, ALastingSlowdownIsProbedOnceNotAfterEveryWindow) {
    FakeClock time;
    Tuner tuner(0, 2, time.clock());
    steps(tuner, time, kWindow, 1.0);
    steps(tuner, time, kProbe, 2.0);
    ASSERT_EQ(tuner.threads(), 2);
    steps(tuner, time, kWindow, 3.0);  // slower for good
    ASSERT_EQ(tuner.threads(), 1);
    steps(tuner, time, kProbe, 3.5);   // and one thread is no cure
    ASSERT_EQ(tuner.threads(), 2);
    EXPECT_EQ(steps_away_from(2, tuner, time, 150, 3.0), 0) << "the slowdown was probed again within 150 steps";
}

// In a distributed run a step's waits for the other ranks are no thread count's doing: a rank
// whose own work is steady keeps its threads however long it waits.
TEST_F(ThreadTuner, WaitsForTheOtherRanksAreLeftOutOfTheStepTime) {
    FakeClock time;
    Tuner tuner(0, 2, time.clock());
    steps(tuner, time, kWindow, 1.0);
    steps(tuner, time, kProbe, 2.0);
    ASSERT_EQ(tuner.threads(), 2);
    // The other rank became slow: each step now waits 3 s for it, on 1 s of own work.
    EXPECT_EQ(steps_away_from(2, tuner, time, 5 * kWindow, 4.0, 3.0), 0);
}

}  // namespace
}  // namespace oddigit
