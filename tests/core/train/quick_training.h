#pragma once
// The short trainings of the trainer's tests: a few MNIST images of some classes, and the
// GAN's and the encoder's epochs only.
#include "oddigit/mnist.h"
#include "oddigit/train.h"
#include "test_support.h"

namespace oddigit::test {

inline NormalSplit subset(const ClassSet& classes, int64_t train_count, uint64_t seed = 1) {
    NormalSplit split = split_normal(test::mnist().train, classes, 0.05, seed);
    split.train.keep_first(train_count);
    return split;
}

// The readers' phase has tests of its own (reader_test.cpp): these runs are the GAN's and the
// encoder's.
inline TrainParams quick_params(int gan_epochs, int encoder_epochs) {
    TrainParams params;
    params.gan_epochs = gan_epochs;
    params.encoder_epochs = encoder_epochs;
    params.reader.epochs = 0;
    params.seed = test::training_seed(11);
    return params;
}

}  // namespace oddigit::test
