// Calibration: the threshold and scales set on normal digits held out from training, and the
// feature density they measure against.
#include "oddigit/calibration.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "oddigit/error.h"
#include "oddigit/metrics.h"
#include "oddigit/score.h"
#include "test_support.h"

namespace oddigit {
namespace {

// The share of scores flagged at a threshold.
double flagged_share(const std::vector<float>& scores, float threshold) {
    const auto count = std::count_if(scores.begin(), scores.end(), [&](float s) { return flagged(s, threshold); });
    return static_cast<double>(count) / static_cast<double>(scores.size());
}

// A threshold at the 0.95 quantile of held-out normal digits flags about 5 % of them, and about
// as many of the unseen normal test digits: "flagged" means "among the 5 % least typical".
TEST(Calibration, TheThresholdFlagsTheQuantilesShareOfNormalDigits) {
    AnomalyModel model = test::fixture_model().clone();
    const NormalSplit split = split_normal(test::mnist().train, model.info().normal_classes, 0.1, 7);
    ImageBatch held_out;
    held_out.pixels.assign(split.validation.image(0), split.validation.image(2000));
    calibrate(model, held_out, 0.9f);
    const ModelInfo& info = model.info();
    ASSERT_EQ(info.validation_scores.size(), 2000u);
    EXPECT_TRUE(std::is_sorted(info.validation_scores.begin(), info.validation_scores.end()));
    EXPECT_FLOAT_EQ(info.threshold_quantile, 0.9f);
    EXPECT_NEAR(flagged_share(info.validation_scores, info.threshold), 0.1, 0.002);
    const std::vector<float> test_scores = model.score_values(test::test_digits(ClassSet::all(), 2000));
    test::print_measured("test digits flagged at the held-out 0.9 quantile", flagged_share(test_scores, info.threshold));
    EXPECT_NEAR(flagged_share(test_scores, info.threshold), 0.1, 0.04);
    // Heat is drawn in full colour from the same quantile of the pixel parts.
    std::vector<float> pixel_parts;
    for (const ImageScore& s : model.score(held_out)) pixel_parts.push_back(s.pixel_residual);
    EXPECT_NEAR(flagged_share(pixel_parts, info.heat_full_scale), 0.1, 0.002);
    EXPECT_THROW(calibrate(model, ImageBatch{}, 0.95f), Error);
}

TEST(Calibration, ACalibrationForAnOlderScoreIsRejectedOrDroppedThenRedone) {
    const std::string path = test::scratch_dir() + "/old-score.safetensors";
    test::fixture_model().save(path);
    test::copy_as_older_build(path, path);

    try {
        AnomalyModel::load(path);
        ADD_FAILURE() << "a stale calibration was accepted";
    } catch (const Error& error) {
        EXPECT_NE(std::string(error.what()).find("oddigit-cli calibrate"), std::string::npos) << error.what();
    }
    AnomalyModel stale = AnomalyModel::load(path, StaleCalibration::Drop);
    EXPECT_TRUE(stale.info().validation_scores.empty());
    EXPECT_EQ(stale.info().threshold, 0.0f);

    // Rescoring the normal images the model held out gives back the validation scores and
    // threshold it was saved with (to float rounding: they were computed on another CPU).
    const nlohmann::json training = nlohmann::json::parse(test::fixture_model().info().training_json);
    const NormalSplit split = split_normal(test::mnist().train, test::fixture_model().info().normal_classes, 0.1,
                                           training.at("seed").get<uint64_t>());
    ASSERT_EQ(split.validation.size(), training.at("validation_images").get<int64_t>());
    calibrate(stale, split.validation, test::fixture_model().info().threshold_quantile);
    const std::vector<float>& saved = test::fixture_model().info().validation_scores;
    const std::vector<float>& redone = stale.info().validation_scores;
    ASSERT_EQ(redone.size(), saved.size());
    double worst = 0;
    for (size_t i = 0; i < saved.size(); ++i) worst = std::max(worst, std::abs(redone[i] - saved[i]) / (saved[i] + 1e-6));
    EXPECT_LT(worst, 1e-4);
    EXPECT_NEAR(stale.info().threshold, test::fixture_model().info().threshold, 1e-4 * test::fixture_model().info().threshold);
    stale.save(path);
    EXPECT_EQ(AnomalyModel::load(path).info().threshold, stale.info().threshold);
}

// A density fitted to D's features of the training 0s and 1s alone finds test digits of the
// other classes farther from them than test 0s and 1s; calibration puts its spread on the
// other parts' scale, and the density travels with the saved model.
TEST(Calibration, TheFeatureDensityFindsUnseenDigitsFarAndIsCalibratedAndSaved) {
    AnomalyModel model = test::fixture_model().clone();
    const ClassSet zeros_and_ones = ClassSet::parse("0,1");
    model.info().normal_classes = zeros_and_ones;
    LabelledImages train;
    for (int64_t i = 0; i < 6000; ++i) {
        const uint8_t digit = test::mnist().train.labels[i];
        if (!zeros_and_ones.contains(digit)) continue;
        train.images.append(test::mnist().train.images.image(i));
        train.labels.push_back(digit);
    }
    fit_density(model, train);
    const ImageBatch normal = test::test_digits(zeros_and_ones, 300);
    const ImageBatch others = test::test_digits(ClassSet::parse("2-9"), 300);
    std::vector<float> distances;
    std::vector<bool> unseen;
    for (const auto& [images, is_unseen] : {std::pair{&normal, false}, std::pair{&others, true}})
        for (const ImageScore& s : model.score(*images)) {
            distances.push_back(s.feature_density);
            unseen.push_back(is_unseen);
        }
    test::print_measured("feature density: AUROC of unseen digits vs 0s and 1s", auroc(distances, unseen));
    EXPECT_GT(auroc(distances, unseen), 0.95);

    calibrate(model, normal, 0.95f);
    const ModelInfo& info = model.info();
    std::vector<float> other_parts, density_parts;
    for (const ImageScore& s : model.score(normal)) {
        other_parts.push_back(s.pixel_residual + info.kappa * s.feature_residual + info.digit_weight * s.not_digit);
        density_parts.push_back(info.density_scale * s.feature_density);
    }
    const auto spread = [](const std::vector<float>& values) { return quantile(values, 0.95) - quantile(values, 0.5); };
    EXPECT_NEAR(spread(density_parts), spread(other_parts), 1e-3 * spread(other_parts));

    const std::string path = test::scratch_dir() + "/density.safetensors";
    model.save(path);
    const AnomalyModel loaded = AnomalyModel::load(path);
    EXPECT_TRUE(loaded.info().knows_density);
    EXPECT_EQ(loaded.info().density_scale, info.density_scale);
    EXPECT_EQ(loaded.fingerprint(), model.fingerprint());
    EXPECT_EQ(loaded.score_values(others), model.score_values(others));

    EXPECT_THROW(fit_density(model, LabelledImages{}), Error);
    LabelledImages mislabelled = train;
    mislabelled.labels[0] = 10;
    EXPECT_THROW(fit_density(model, mislabelled), Error);
}

}  // namespace
}  // namespace oddigit
