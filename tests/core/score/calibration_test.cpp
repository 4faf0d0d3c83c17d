// Calibration: the threshold and scales set on normal digits held out from training, and the
// feature density they measure against.
#include "oddigit/calibration.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "oddigit/error.h"
#include "oddigit/metrics.h"
#include "oddigit/safetensors.h"
#include "oddigit/score.h"
#include "test_support.h"

namespace oddigit {
namespace {

// The share of scores flagged at a threshold.
double flagged_share(const std::vector<float>& scores, float threshold) {
    const auto count = std::count_if(scores.begin(), scores.end(), [&](float s) { return flagged(s, threshold); });
    return static_cast<double>(count) / static_cast<double>(scores.size());
}

// A threshold at a quantile of held-out normal digits (0.9 here, 0.95 by default) flags the
// rest of them, and about as many unseen normal test digits: "flagged" means "among the least
// typical 10 % (5 %) of normal digits".
TEST(Calibration, TheThresholdFlagsTheQuantilesShareOfNormalDigits) {
    AnomalyModel model = test::fixture_model().clone();
    const NormalSplit split = split_normal(test::mnist().train, model.info().normal_classes, 0.1, 7);
    ImageBatch held_out;
    held_out.pixels.assign(split.validation.image(0), split.validation.image(1000));
    calibrate(model, held_out, 0.9f);
    const ModelInfo& info = model.info();
    ASSERT_EQ(info.validation_scores.size(), 1000u);
    EXPECT_TRUE(std::is_sorted(info.validation_scores.begin(), info.validation_scores.end()));
    EXPECT_FLOAT_EQ(info.threshold_quantile, 0.9f);
    EXPECT_NEAR(flagged_share(info.validation_scores, info.threshold), 0.1, 0.002);
    // The validation scores are the scores the model gives those images, to the bit.
    std::vector<float> rescored = model.score_values(held_out);
    std::sort(rescored.begin(), rescored.end());
    EXPECT_EQ(rescored, info.validation_scores);
    const std::vector<float> test_scores = model.score_values(test::test_digits(ClassSet::all(), 1000));
    test::print_measured("test digits flagged at the held-out 0.9 quantile", flagged_share(test_scores, info.threshold));
    // Test digits are a little less typical than the held-out training ones (0.12-0.14 seen).
    EXPECT_GT(flagged_share(test_scores, info.threshold), 0.07);
    EXPECT_LT(flagged_share(test_scores, info.threshold), 0.17);
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

// The density weight reads on the residuals' scale whatever the density's own units: a density
// whose distances are all 4 times as large gets a quarter of the scale, and every score and
// the threshold stay where they were.
TEST(Calibration, TheDensityTermIsWeighedOnTheResidualsScaleWhateverItsUnits) {
    const std::string path = test::scratch_dir() + "/density-units.safetensors";
    const std::string four_times = test::scratch_dir() + "/density-units-x4.safetensors";
    test::fixture_model().save(path);
    safetensors::File file = safetensors::read(path);
    int scaled = 0;
    for (const char* name : {"density.inverse_variances", "density.inverse_rest_variance"}) {
        safetensors::Tensor& tensor = file.tensors.at(name);
        std::vector<float> values = safetensors::to_floats(tensor);
        for (float& v : values) v *= 4;  // a power of two: the distances scale exactly
        tensor = safetensors::from_floats(values, tensor.shape);
        ++scaled;
    }
    ASSERT_EQ(scaled, 2);
    safetensors::write(four_times, file);
    AnomalyModel model = AnomalyModel::load(path);
    AnomalyModel larger = AnomalyModel::load(four_times);
    const ImageBatch held_out = test::test_digits(ClassSet::all(), 1000);
    calibrate(model, held_out, 0.95f);
    calibrate(larger, held_out, 0.95f);
    EXPECT_NEAR(larger.info().density_scale, model.info().density_scale / 4, 1e-5 * model.info().density_scale);
    EXPECT_NEAR(larger.info().threshold, model.info().threshold, 1e-5 * model.info().threshold);
    const ImageBatch others = test::foreign_images(50, 3);
    const std::vector<float> expected = model.score_values(others), got = larger.score_values(others);
    for (size_t i = 0; i < expected.size(); ++i) EXPECT_NEAR(got[i], expected[i], 1e-5 * expected[i]) << i;
}

// Normal images whose density distances do not spread (here: one image) give the density term
// no scale: the calibration says so instead of silently dropping the term.
TEST(Calibration, RefusesADensityItCannotScale) {
    AnomalyModel model = test::fixture_model().clone();
    ASSERT_TRUE(model.info().knows_density);
    ASSERT_GT(model.info().density_weight, 0.0f);
    const ImageBatch same = test::test_digits(ClassSet::all(), 1);
    try {
        calibrate(model, same, 0.95f);
        ADD_FAILURE() << "calibrated with density_scale " << model.info().density_scale;
    } catch (const Error& error) {
        EXPECT_NE(std::string(error.what()).find("do not spread"), std::string::npos) << error.what();
    }
    // Without a density weight the scale does not matter, and the calibration goes on.
    model.info().density_weight = 0;
    EXPECT_NO_THROW(calibrate(model, same, 0.95f));
}

// A density fitted to D's features of the training 0s and 1s alone finds test digits of the
// other classes farther from them than test 0s and 1s, and travels with the saved model.
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
    EXPECT_GT(info.density_scale, 0.0f);

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
