#include "oddigit/train.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <functional>
#include <thread>

#include "oddigit/error.h"
#include "oddigit/metrics.h"
#include "oddigit/safetensors.h"
#include "test_support.h"

namespace oddigit {
namespace {

NormalSplit subset(const ClassSet& classes, int64_t train_count, uint64_t seed = 1) {
    NormalSplit split = split_normal(test::mnist().train, classes, 0.05, seed);
    split.train.pixels.resize(static_cast<size_t>(train_count) * kImagePixels);
    return split;
}

TrainParams quick_params(int gan_epochs, int encoder_epochs) {
    TrainParams params;
    params.gan_epochs = gan_epochs;
    params.encoder_epochs = encoder_epochs;
    params.seed = 11;
    return params;
}

TEST(Train, ShortRunHasFiniteLossesAndRanksForeignInputsAboveHeldOutDigits) {
    const NormalSplit split = subset(ClassSet::all(), 3000);
    TrainParams params = quick_params(3, 3);
    std::vector<TrainProgress> progress;
    std::vector<EpochSummary> epochs;
    TrainCallbacks callbacks;
    callbacks.on_progress = [&](const TrainProgress& p) { progress.push_back(p); };
    callbacks.on_epoch = [&](const EpochSummary& e) { epochs.push_back(e); };
    const TrainResult result = train(split.train, split.validation, params, callbacks);
    ASSERT_EQ(result.outcome, TrainOutcome::Finished);

    ASSERT_FALSE(progress.empty());
    for (const TrainProgress& p : progress) {
        EXPECT_TRUE(std::isfinite(p.discriminator_loss) && std::isfinite(p.generator_loss) &&
                    std::isfinite(p.encoder_loss));
        EXPECT_LE(p.global_step, p.total_steps);
    }
    EXPECT_EQ(progress.back().global_step, progress.back().total_steps);
    ASSERT_EQ(epochs.size(), 6u);
    EXPECT_EQ(epochs.front().samples.size(), 64);
    // The encoder learns: validation loss falls from the first to the last encoder epoch.
    EXPECT_LT(epochs.back().validation_loss, epochs[3].validation_loss);

    const ModelInfo& info = result.model.info();
    EXPECT_EQ(info.validation_scores.size(), static_cast<size_t>(split.validation.size()));
    EXPECT_NEAR(result.model.validation_percentile(info.threshold), 0.95, 0.01);

    const ImageBatch digits = test::test_digits(ClassSet::all(), 200);
    const ImageBatch foreign = test::foreign_images(100, 3);
    std::vector<float> scores = result.model.score_values(digits);
    std::vector<bool> anomalous(scores.size(), false);
    for (float s : result.model.score_values(foreign)) {
        scores.push_back(s);
        anomalous.push_back(true);
    }
    EXPECT_GT(auroc(scores, anomalous), 0.9);
}

std::vector<float> tensor_values(const std::string& path, const std::string& name) {
    return safetensors::to_floats(safetensors::read(path).tensors.at(name));
}

TEST(Train, ResumeContinuesExactlyWhereItStopped) {
    const std::string dir = test::scratch_dir();
    const NormalSplit split = subset(ClassSet::single(7), 640);
    TrainParams params = quick_params(2, 1);

    params.output_path = dir + "/straight.safetensors";
    train(split.train, split.validation, params);

    // Stop after the first GAN epoch, then resume.
    params.output_path = dir + "/resumed.safetensors";
    TrainControl control;
    TrainCallbacks stop_after_first_epoch;
    stop_after_first_epoch.on_epoch = [&](const EpochSummary&) { control.cancel(); };
    const TrainResult stopped = train(split.train, split.validation, params, stop_after_first_epoch, &control);
    EXPECT_EQ(stopped.outcome, TrainOutcome::Cancelled);
    ASSERT_TRUE(std::filesystem::exists(resume_path(params.output_path)));
    EXPECT_FALSE(std::filesystem::exists(params.output_path)) << "no model before the encoder has trained";

    params.resume = true;
    const TrainResult resumed = train(split.train, split.validation, params);
    EXPECT_EQ(resumed.outcome, TrainOutcome::Finished);
    for (const std::string name : {"generator.up28.weight", "discriminator.down7.conv.weight", "encoder.project.weight"}) {
        const auto a = tensor_values(dir + "/straight.safetensors", name);
        const auto b = tensor_values(dir + "/resumed.safetensors", name);
        ASSERT_EQ(a.size(), b.size());
        float largest = 0;
        for (size_t i = 0; i < a.size(); ++i) largest = std::max(largest, std::abs(a[i] - b[i]));
        EXPECT_LT(largest, 1e-4) << name;
    }

    // A resume with other fixed settings is refused with the reason.
    params.batch_size = 32;
    try {
        train(split.train, split.validation, params);
        FAIL() << "resumed with another batch size";
    } catch (const Error& error) {
        EXPECT_NE(std::string(error.what()).find("other settings"), std::string::npos) << error.what();
    }
}

TEST(Train, PauseHoldsTheTrainerAndCancelEndsIt) {
    const NormalSplit split = subset(ClassSet::single(1), 1280);
    TrainParams params = quick_params(50, 1);
    TrainControl control;
    std::atomic<int64_t> step{0};
    TrainCallbacks callbacks;
    callbacks.on_progress = [&](const TrainProgress& p) { step = p.global_step; };
    TrainOutcome outcome = TrainOutcome::Finished;
    std::atomic<bool> done{false};
    std::thread worker([&] {
        outcome = train(split.train, split.validation, params, callbacks, &control).outcome;
        done = true;
    });
    // Waits for a condition, at most a minute, so a broken trainer fails instead of hanging.
    const auto wait_for = [&](const std::function<bool()>& condition) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(1);
        while (!condition() && !done && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        return condition();
    };
    ASSERT_TRUE(wait_for([&] { return step >= 10; })) << "training did not start";
    control.pause();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    const int64_t paused_at = step;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_EQ(step, paused_at) << "steps went on while paused";
    control.resume();
    const bool resumed = wait_for([&] { return step >= paused_at + 10; });
    control.cancel();
    worker.join();
    EXPECT_TRUE(resumed) << "no progress after resume";
    EXPECT_EQ(outcome, TrainOutcome::Cancelled);
    EXPECT_LT(step, 50 * 20);
}

TEST(Train, NanInTheDataStopsWithAClearErrorAndKeepsTheLastCheckpoint) {
    const std::string dir = test::scratch_dir();
    NormalSplit split = subset(ClassSet::single(4), 640);
    TrainParams params = quick_params(3, 1);
    params.output_path = dir + "/m.safetensors";
    TrainControl control;
    TrainCallbacks stop_after_first_epoch;
    stop_after_first_epoch.on_epoch = [&](const EpochSummary&) { control.cancel(); };
    train(split.train, split.validation, params, stop_after_first_epoch, &control);
    const auto saved = safetensors::read(resume_path(params.output_path));

    for (int64_t i = 0; i < split.train.size(); i += 7) split.train.image(i)[300] = std::nanf("");
    params.resume = true;
    try {
        train(split.train, split.validation, params);
        FAIL() << "trained on NaN";
    } catch (const Error& error) {
        EXPECT_NE(std::string(error.what()).find("diverged"), std::string::npos) << error.what();
    }
    const auto kept = safetensors::read(resume_path(params.output_path));
    EXPECT_EQ(kept.metadata.at("oddigit.resume.gan_epochs_done"), "1");
    EXPECT_EQ(kept.tensors.at("generator.up28.weight").bytes, saved.tensors.at("generator.up28.weight").bytes);
}

TEST(Train, RejectsUnusableInput) {
    const NormalSplit split = subset(ClassSet::single(2), 100);
    EXPECT_THROW(train(ImageBatch{}, split.validation, quick_params(1, 1)), Error);
    EXPECT_THROW(train(split.train, ImageBatch{}, quick_params(1, 1)), Error);
    TrainParams params = quick_params(1, 1);
    params.resume = true;
    params.output_path = test::scratch_dir() + "/none.safetensors";
    EXPECT_THROW(train(split.train, split.validation, params), Error);
}

}  // namespace
}  // namespace oddigit
