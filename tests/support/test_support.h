#pragma once
// Shared by the test programs: the real MNIST data and scratch folders.
#include <string>

#include "oddigit/mnist.h"

namespace oddigit::test {

// MNIST from the default folder, loaded once per process. The test command fetches it
// first (scripts/fetch-mnist.sh); a missing file fails the calling test with that hint.
const MnistSet& mnist();

// A fresh empty folder under the system temp dir, removed when the process ends.
std::string scratch_dir();

// The first count test images of the given digits, in test-set order.
ImageBatch test_digits(const ClassSet& digits, int64_t count);

}  // namespace oddigit::test

namespace oddigit::test {

// Images that are clearly not digits: noise, checkerboards, stripes, grids, scattered dots.
// (Filled blocks and rings are left out on purpose: a ring is a zero.)
ImageBatch foreign_images(int count, uint64_t seed);

// The model trained by the test fixture (the ODDIGIT_TEST_MODEL environment variable).
std::string fixture_model_path();

// Copies the model file at source to target as a build before the score last changed wrote
// it: without the "oddigit.score" metadata. Fails the calling test if source has none.
void copy_as_older_build(const std::string& source, const std::string& target);

}  // namespace oddigit::test
