#pragma once
// Shared by the test programs: the real MNIST data and scratch folders.
#include <string>
#include <vector>

#include "oddigit/mnist.h"
#include "oddigit/model.h"

namespace oddigit::test {

// MNIST from the default folder, loaded once per process. The test command fetches it
// first (scripts/fetch-mnist.sh); a missing file fails the calling test with that hint.
const MnistSet& mnist();

// A fresh empty folder under the system temp dir, removed when the process ends.
std::string scratch_dir();

// Writes a 28x28 image in [0, 1] as a binary PGM of its bytes (MNIST's own values, so read
// back as they are the image is unchanged): the simplest file an image folder takes.
void write_pgm(const std::string& path, const float* image);
// Writes the first count images of data as an image folder: DIR/<names[label]>/<index>.pgm,
// the index zero-padded to five digits, so the folder's file-name order is data's order. A label
// whose name is empty is left out.
void write_image_folder(const std::string& dir, const LabelledImages& data, const std::vector<std::string>& names,
                        int64_t count);

// The first count test images of the given digits, in test-set order.
ImageBatch test_digits(const ClassSet& digits, int64_t count);

// The first count images that a split of the ten digits' training images holds out (10 %,
// seed 7): normal digits to calibrate on in tests (the bundled model, split with seed 1, may
// have learned from some of them).
ImageBatch held_out_digits(int64_t count);

}  // namespace oddigit::test

namespace oddigit::test {

// Images that are clearly not digits: noise, checkerboards, stripes, grids, scattered dots.
// (Filled blocks and rings are left out on purpose: a ring is a zero.)
ImageBatch foreign_images(int count, uint64_t seed);

// The committed model the tests score with, the bundled one: the same weights on every
// machine.
std::string fixture_model_path();
// That model, loaded once for the test program.
const AnomalyModel& fixture_model();

// A model saved by Oddigit 0.1, before models had a digit head: newer builds must still
// load and score it.
std::string old_model_path();

// The seed of the tests that train: $ODDIGIT_TEST_SEED when set, else fallback.
// scripts/check-test-margins.sh runs them over many seeds and CPU kernels.
uint64_t training_seed(uint64_t fallback);

// Prints a figure a training test asserts a margin on, as "[ measured ] name: value", so
// scripts/check-test-margins.sh can collect it over seeds and CPU kernels.
void print_measured(const std::string& name, double value);

// What a bound on wall time is multiplied by in this build: 1, or 4 under ThreadSanitizer, whose
// instrumented code runs 5-15x slower (a responsiveness bound then measures the sanitizer).
#if defined(__SANITIZE_THREAD__)
constexpr double kTimeBoundScale = 4.0;
#else
constexpr double kTimeBoundScale = 1.0;
#endif

// Copies the model file at source to target as a build before the score last changed wrote
// it: without the "oddigit.score" metadata. Fails the calling test if source has none.
void copy_as_older_build(const std::string& source, const std::string& target);

}  // namespace oddigit::test
