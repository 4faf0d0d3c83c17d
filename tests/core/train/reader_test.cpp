// The digit readers: what they learn from (train/reader_data.h), their phase of training, and
// their term in the shape channel. Short runs assert what every run does, as trainer_test.cpp's.
#include <gtest/gtest.h>

#include <algorithm>
#include <ATen/CPUGeneratorImpl.h>

#include "model_impl.h"
#include "oddigit/error.h"
#include "oddigit/score.h"
#include "oddigit/train.h"
#include "test_support.h"
#include "train/reader_data.h"

namespace oddigit {
namespace {

NormalSplit subset(const ClassSet& classes, int64_t train_count) {
    NormalSplit split = split_normal(test::mnist().train, classes, 0.1, 1);
    split.train.keep_first(train_count);
    return split;
}

TrainParams reader_params(const std::string& output_path) {
    TrainParams params;
    params.gan_epochs = params.encoder_epochs = 1;
    params.reader.epochs = 2;
    params.reader.term = ReaderTerm::Neighbours;  // the term adopted (docs/decisions.md)
    params.seed = test::training_seed(5);
    params.threads = 1;
    params.output_path = output_path;
    return params;
}

// The share of images whose likeliest normal class, by the first reader, is their label.
double named_right(AnomalyModel& model, const LabelledImages& digits) {
    torch::NoGradGuard no_grad;
    const torch::Tensor logits =
        model.impl().reader->reader(0)->forward(detail::to_tensor(digits.images, 0, digits.images.size(), torch::kCPU)).logits;
    const torch::Tensor best = logits.narrow(1, 0, 10).argmax(1);
    int right = 0;
    for (size_t i = 0; i < digits.labels.size(); ++i) right += best[static_cast<int64_t>(i)].item<int64_t>() == digits.labels[i];
    return static_cast<double>(right) / digits.labels.size();
}

TEST(ReaderData, WriterVariationMovesDigitsAndKeepsThemImages) {
    const ImageBatch digits = test::test_digits(ClassSet::all(), 64);
    const torch::Tensor batch = detail::to_tensor(digits, 0, 64, torch::kCPU);
    at::Generator random = at::detail::createCPUGenerator(3);
    const torch::Tensor varied = detail::writer_variation(batch, random);
    ASSERT_EQ(varied.sizes(), batch.sizes());
    EXPECT_GE(varied.min().item<float>(), -1.0f);
    EXPECT_LE(varied.max().item<float>(), 1.0f);
    const double moved = (varied - batch).abs().mean().item<double>();
    test::print_measured("writer variation: mean change per pixel", moved);
    EXPECT_GT(moved, 0.02) << "the digits are moved";
    // Still the same digits: the ink lies mostly where it was.
    const torch::Tensor before = batch > 0, after = varied > 0;
    EXPECT_GT((before & after).sum().item<double>() / before.sum().item<double>(), 0.4);
}

TEST(ReaderData, NegativesAreNonDigitsOfTheKindAskedFor) {
    LabelledImages digits;
    for (int64_t i = 0; i < 60; ++i) {
        digits.images.append(test::mnist().test.images.image(i));
        digits.labels.push_back(test::mnist().test.labels[i]);
    }
    const torch::Tensor batch = detail::to_tensor(digits.images, 0, 60, torch::kCPU);
    const torch::Tensor labels = torch::tensor(std::vector<int64_t>(digits.labels.begin(), digits.labels.end()));
    AnomalyModel model = test::fixture_model().clone();
    at::Generator random = at::detail::createCPUGenerator(4);
    EXPECT_EQ(detail::reader_negatives(ReaderNegatives::None, batch, labels, model.impl(), random).size(0), 0);
    const torch::Tensor abnormal = detail::reader_negatives(ReaderNegatives::Abnormal, batch, labels, model.impl(), random);
    EXPECT_GT(abnormal.size(0), 40) << "only turns that give a digit back are left out";
    EXPECT_LE(abnormal.size(0), 60);
    EXPECT_GE(abnormal.min().item<float>(), -1.0f);
    EXPECT_LE(abnormal.max().item<float>(), 1.0f);
    const torch::Tensor mixes = detail::reader_negatives(ReaderNegatives::GanMixes, batch, labels, model.impl(), random);
    EXPECT_GT(mixes.size(0), 30) << "mixes of two classes";
    EXPECT_EQ(mixes.size(1), 1);
    // The bundled model's D head doubts the mixes more than the digits they were made from.
    const std::vector<ImageScore> scored_mixes = model.score(detail::to_images(mixes));
    const std::vector<ImageScore> scored_digits = model.score(digits.images);
    double doubt_mixes = 0, doubt_digits = 0;
    for (const ImageScore& s : scored_mixes) doubt_mixes += s.not_digit / scored_mixes.size();
    for (const ImageScore& s : scored_digits) doubt_digits += s.not_digit / scored_digits.size();
    EXPECT_GT(doubt_mixes, doubt_digits);
}

// A model of three digits learns its readers after the encoder: they name the held-out digits,
// doubt foreign images more than them, go in the model file, and a run stopped in their phase
// resumes to the model of the run never stopped (fixed threads: to the bit).
TEST(ReaderTraining, TheReadersLearnTheDigitsAndAStoppedRunResumesExactly) {
    const ClassSet classes = ClassSet::parse("0,1,7");
    const NormalSplit split = subset(classes, 1200);
    const TrainParams whole = reader_params(test::scratch_dir() + "/readers-whole.safetensors");
    std::vector<double> losses;
    TrainCallbacks callbacks;
    callbacks.on_progress = [&](const TrainProgress& p) {
        if (p.phase == TrainPhase::Reader) losses.push_back(p.reader_loss);
    };
    TrainResult result = train(split.train, split.validation, whole, callbacks);
    ASSERT_EQ(result.outcome, TrainOutcome::Finished);
    ASSERT_EQ(result.model.info().architecture.readers, 1);
    ASSERT_GE(losses.size(), 4u);
    for (double loss : losses) EXPECT_TRUE(std::isfinite(loss));
    EXPECT_LT(losses.back(), losses.front());

    LabelledImages held_out;
    for (int64_t i = 0; i < test::mnist().test.images.size() && held_out.images.size() < 300; ++i)
        if (classes.contains(test::mnist().test.labels[i])) {
            held_out.images.append(test::mnist().test.images.image(i));
            held_out.labels.push_back(test::mnist().test.labels[i]);
        }
    const double right = named_right(result.model, held_out);
    test::print_measured("readers of 0, 1, 7: test digits named right", right);
    EXPECT_GT(right, 0.9);
    const std::vector<ImageScore> digits = result.model.score(held_out.images);
    const std::vector<ImageScore> foreign = result.model.score(test::foreign_images(60, 2));
    double digit_term = 0, foreign_term = 0;
    for (const ImageScore& s : digits) digit_term += s.reader / digits.size();
    for (const ImageScore& s : foreign) foreign_term += s.reader / foreign.size();
    test::print_measured("readers' mean neighbour distance: test digits", digit_term);
    test::print_measured("readers' mean neighbour distance: foreign images", foreign_term);
    EXPECT_GT(foreign_term, digit_term);
    const AnomalyModel loaded = AnomalyModel::load(whole.output_path);
    EXPECT_EQ(loaded.fingerprint(), result.model.fingerprint());
    EXPECT_EQ(loaded.info().reader_offset, result.model.info().reader_offset);

    TrainParams stopped = reader_params(test::scratch_dir() + "/readers-stopped.safetensors");
    TrainControl control;
    TrainCallbacks stop_in_second_epoch;
    stop_in_second_epoch.on_progress = [&](const TrainProgress& p) {
        if (p.phase == TrainPhase::Reader && p.epoch == 2) control.cancel();
    };
    EXPECT_EQ(train(split.train, split.validation, stopped, stop_in_second_epoch, &control).outcome, TrainOutcome::Cancelled);
    stopped.resume = true;
    const TrainResult resumed = train(split.train, split.validation, stopped);
    EXPECT_EQ(resumed.model.fingerprint(), result.model.fingerprint());
}

// Readers trained on a finished model's GAN and encoder (TrainParams::encoder_from) are the
// ones its full run trains; a model of one class has none.
TEST(ReaderTraining, ReadersOnAFinishedModelAreTheFullRunsAndOneClassHasNone) {
    const NormalSplit split = subset(ClassSet::parse("3,5"), 640);
    TrainParams without = reader_params(test::scratch_dir() + "/no-readers.safetensors");
    without.reader.epochs = 0;
    const TrainResult first = train(split.train, split.validation, without);
    EXPECT_EQ(first.model.info().architecture.readers, 0);
    TrainParams later = reader_params(test::scratch_dir() + "/readers-later.safetensors");
    later.encoder_from = without.output_path;
    int gan_or_encoder_steps = 0;
    TrainCallbacks count;
    count.on_progress = [&](const TrainProgress& p) { gan_or_encoder_steps += p.phase != TrainPhase::Reader; };
    const TrainResult taken = train(split.train, split.validation, later, count);
    EXPECT_EQ(gan_or_encoder_steps, 0) << "only the readers are trained";
    const TrainResult full = train(split.train, split.validation, reader_params(test::scratch_dir() + "/readers-full.safetensors"));
    EXPECT_EQ(taken.model.fingerprint(), full.model.fingerprint());

    TrainParams one_class = reader_params(test::scratch_dir() + "/one-class.safetensors");
    const NormalSplit sevens = subset(ClassSet::single(7), 320);
    one_class.normal_classes = ClassSet::single(7);
    EXPECT_EQ(train(sevens.train, sevens.validation, one_class).model.info().architecture.readers, 0);
    TrainParams both = later;
    both.gan_from = without.output_path;
    EXPECT_THROW(train(split.train, split.validation, both), Error);
}

}  // namespace
}  // namespace oddigit
