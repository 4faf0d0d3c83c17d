// The training thread's thread count, tuned from the step times it is given.
#include "runtime/thread_tuner.h"

#include <gtest/gtest.h>

#include <ATen/Parallel.h>

namespace oddigit {
namespace {

using detail::ThreadTuner;

// Steps are measured in windows of 8; a candidate count is timed over 3 steps after one
// that warms its team up.
constexpr int kWindow = 8;
constexpr int kProbe = 1 + 3;

void steps(ThreadTuner& tuner, int count, double seconds) {
    for (int i = 0; i < count; ++i) tuner.after_step(seconds);
}

TEST(ThreadTuner, AFixedCountIsKeptWhateverTheSteps) {
    ThreadTuner tuner(3, 8);
    EXPECT_EQ(tuner.threads(), 3);
    EXPECT_EQ(at::get_num_threads(), 3);
    steps(tuner, 50, 1.0);
    steps(tuner, 50, 9.0);
    EXPECT_EQ(tuner.threads(), 3);
}

TEST(ThreadTuner, TriesOneThreadFewerAtOnceAndKeepsItWhenFaster) {
    ThreadTuner tuner(0, 2);
    EXPECT_EQ(tuner.threads(), 2);
    // A machine busy from the start shows no slowdown against itself: the first window is
    // followed by a try of one thread fewer.
    steps(tuner, kWindow, 1.0);
    EXPECT_EQ(tuner.threads(), 1);
    EXPECT_EQ(at::get_num_threads(), 1);
    steps(tuner, kProbe, 0.5);
    EXPECT_EQ(tuner.threads(), 1);
    steps(tuner, 3 * kWindow, 0.5);
    EXPECT_EQ(tuner.threads(), 1);
}

TEST(ThreadTuner, GoesBackWhenTheCandidateIsNoFaster) {
    ThreadTuner tuner(0, 2);
    steps(tuner, kWindow, 1.0);
    ASSERT_EQ(tuner.threads(), 1);
    steps(tuner, kProbe, 0.95);  // within 10 %: not worth a change
    EXPECT_EQ(tuner.threads(), 2);
    EXPECT_EQ(at::get_num_threads(), 2);
}

TEST(ThreadTuner, ASlowdownRetriesOneThreadFewer) {
    ThreadTuner tuner(0, 2);
    steps(tuner, kWindow, 1.0);
    steps(tuner, kProbe, 2.0);  // one thread is slower: back to two
    ASSERT_EQ(tuner.threads(), 2);
    steps(tuner, kWindow, 1.0);
    EXPECT_EQ(tuner.threads(), 2);
    // Another process takes a core: steps take twice as long, and one thread fewer is tried.
    steps(tuner, kWindow, 2.0);
    EXPECT_EQ(tuner.threads(), 1);
    steps(tuner, kProbe, 1.1);
    EXPECT_EQ(tuner.threads(), 1);
}

TEST(ThreadTuner, TakesTheCoreBackWhenItIsFree) {
    ThreadTuner tuner(0, 2);
    steps(tuner, kWindow, 1.0);
    steps(tuner, kProbe, 0.5);
    ASSERT_EQ(tuner.threads(), 1);
    // Every 200 steps a neighbouring count is tried; once the core is free, two threads win.
    int tried_two = 0;
    for (int step = 0; step < 400 && tuner.threads() == 1; ++step) {
        tuner.after_step(0.5);
        tried_two += tuner.threads() == 2;
    }
    ASSERT_EQ(tuner.threads(), 2) << "no try of two threads in 400 steps";
    steps(tuner, kProbe, 0.3);
    EXPECT_EQ(tuner.threads(), 2);
    EXPECT_EQ(tried_two, 1);
}

}  // namespace
}  // namespace oddigit
