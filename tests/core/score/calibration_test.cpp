// Calibration: the thresholds and scales set on normal digits held out from training, and the
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

// Loading the model file at path throws an Error whose message holds fragment.
void expect_load_refused(const std::string& path, const std::string& fragment) {
    try {
        AnomalyModel::load(path);
        ADD_FAILURE() << "'" << path << "' was loaded";
    } catch (const Error& error) {
        EXPECT_NE(std::string(error.what()).find(fragment), std::string::npos) << error.what();
    }
}

// The two thresholds, set together at a quantile of held-out normal digits (0.9 here, 0.95 by
// default), flag the rest of them by either channel, and about as many unseen normal test
// digits: "flagged" means "among the least typical 10 % (5 %) of normal digits", whichever
// question found them odd.
TEST(Calibration, TheTwoThresholdsTogetherFlagTheQuantilesShareOfNormalDigits) {
    AnomalyModel model = test::fixture_model().clone();
    const ImageBatch held_out = test::held_out_digits(1000);
    calibrate(model, held_out, 0.9f);
    const ModelInfo& info = model.info();
    ASSERT_EQ(info.mnist.validation_scores.size(), 1000u);
    ASSERT_EQ(info.mnist.validation_stroke.size(), 1000u);
    ASSERT_EQ(info.mnist.validation_shape.size(), 1000u);
    EXPECT_TRUE(std::is_sorted(info.mnist.validation_scores.begin(), info.mnist.validation_scores.end()));
    EXPECT_FLOAT_EQ(info.threshold_quantile, 0.9f);
    EXPECT_NEAR(flagged_share(info.mnist.validation_scores, kFlagRatio), 0.1, 0.002);
    // Each channel alone flags less than the share: both take part, at one common quantile.
    const double stroke_share = flagged_share(info.mnist.validation_stroke, info.mnist.stroke);
    const double shape_share = flagged_share(info.mnist.validation_shape, info.mnist.shape);
    test::print_measured("held-out digits flagged by the stroke channel", stroke_share);
    test::print_measured("held-out digits flagged by the shape channel", shape_share);
    EXPECT_GT(stroke_share, 0.03);
    EXPECT_GT(shape_share, 0.03);
    EXPECT_LT(stroke_share, 0.1);
    EXPECT_NEAR(stroke_share, shape_share, 0.002);
    EXPECT_NEAR(1.0 - info.mnist.channel_quantile, stroke_share, 1e-6);
    // The validation scores and ratios are those the model gives those images, to the bit.
    const std::vector<ImageScore> rescored = model.score(held_out);
    std::vector<float> scores;
    for (size_t i = 0; i < rescored.size(); ++i) {
        scores.push_back(rescored[i].score);
        EXPECT_EQ(rescored[i].stroke_ratio, info.mnist.validation_stroke[i] / info.mnist.stroke) << i;
        EXPECT_EQ(rescored[i].shape_ratio, info.mnist.validation_shape[i] / info.mnist.shape) << i;
    }
    std::sort(scores.begin(), scores.end());
    EXPECT_EQ(scores, info.mnist.validation_scores);
    const std::vector<float> test_scores = model.score_values(test::test_digits(ClassSet::all(), 1000));
    test::print_measured("test digits flagged at the held-out 0.9 quantile", flagged_share(test_scores, kFlagRatio));
    // Test digits are a little less typical than the held-out training ones (0.12-0.14 seen).
    EXPECT_GT(flagged_share(test_scores, kFlagRatio), 0.07);
    EXPECT_LT(flagged_share(test_scores, kFlagRatio), 0.17);
    // Heat is drawn in full colour from the channels' quantile of the pixel parts.
    std::vector<float> pixel_parts;
    for (const ImageScore& s : rescored) pixel_parts.push_back(s.pixel_residual);
    EXPECT_NEAR(flagged_share(pixel_parts, info.mnist.heat_full_scale), stroke_share, 0.002);
    EXPECT_THROW(calibrate(model, ImageBatch{}, 0.95f), Error);
}

// A model whose shape terms all weigh 0 has one channel: its threshold alone takes the share.
TEST(Calibration, WithoutShapeTermsTheStrokeChannelTakesTheWholeShare) {
    AnomalyModel model = test::fixture_model().clone();
    model.info().terms[ShapeTerm::NotAClass].weight = 0;
    model.info().terms[ShapeTerm::Density].weight = 0;
    model.info().terms[ShapeTerm::Reader].weight = 0;
    ASSERT_FALSE(has_shape_channel(model.info()));
    const ImageBatch held_out = test::test_digits(ClassSet::all(), 1000);
    calibrate(model, held_out, 0.9f);
    EXPECT_EQ(model.info().mnist.shape, 0.0f);
    EXPECT_NEAR(flagged_share(model.info().mnist.validation_stroke, model.info().mnist.stroke), 0.1, 0.002);
    for (const ImageScore& s : model.score(test::foreign_images(20, 1))) EXPECT_EQ(s.shape_ratio, 0.0f);
}

TEST(Calibration, ACalibrationForAnOlderScoreIsRejectedOrDroppedThenRedone) {
    const std::string path = test::scratch_dir() + "/old-score.safetensors";
    test::fixture_model().save(path);
    test::copy_as_older_build(path, path);

    expect_load_refused(path, "oddigit-cli calibrate");
    AnomalyModel stale = AnomalyModel::load(path, StaleCalibration::Drop);
    EXPECT_TRUE(stale.info().mnist.validation_scores.empty());
    EXPECT_TRUE(stale.info().mnist.validation_stroke.empty());
    EXPECT_EQ(stale.info().mnist.stroke, 0.0f);
    EXPECT_EQ(stale.info().mnist.shape, 0.0f);
    ASSERT_TRUE(test::fixture_model().info().canvas.is_set()) << "the bundled model holds both calibrations";
    EXPECT_FALSE(stale.info().canvas.is_set()) << "a stale canvas calibration is dropped with the other";

    // Rescoring the normal images the model held out gives back the validation values and
    // thresholds it was saved with (to float rounding: they were computed on another CPU).
    const nlohmann::json training = nlohmann::json::parse(test::fixture_model().info().training_json);
    const NormalSplit split = split_normal(test::mnist().train, test::fixture_model().info().normal_classes, 0.1,
                                           training.at("seed").get<uint64_t>());
    ASSERT_EQ(split.validation.size(), training.at("validation_images").get<int64_t>());
    calibrate(stale, split.validation, test::fixture_model().info().threshold_quantile);
    const ModelInfo& saved = test::fixture_model().info();
    const ModelInfo& redone = stale.info();
    ASSERT_EQ(redone.mnist.validation_stroke.size(), saved.mnist.validation_stroke.size());
    double worst = 0;
    for (size_t i = 0; i < saved.mnist.validation_stroke.size(); ++i)
        for (const auto& [a, b] : {std::pair{redone.mnist.validation_stroke[i], saved.mnist.validation_stroke[i]},
                                   std::pair{redone.mnist.validation_shape[i], saved.mnist.validation_shape[i]}})
            worst = std::max(worst, std::abs(a - b) / (std::abs(b) + 1e-6));
    EXPECT_LT(worst, 1e-4);
    EXPECT_NEAR(redone.mnist.stroke, saved.mnist.stroke, 1e-4 * saved.mnist.stroke);
    EXPECT_NEAR(redone.mnist.shape, saved.mnist.shape, 1e-4 * saved.mnist.shape);
    stale.save(path);
    EXPECT_EQ(AnomalyModel::load(path).info().mnist.stroke, redone.mnist.stroke);
    EXPECT_EQ(AnomalyModel::load(path).info().mnist.shape, redone.mnist.shape);
}

// The canvas calibration is a second pair of thresholds beside the MNIST one: drawings are
// measured against it and scanned images are not; the file keeps it whole; calibrate() clears
// it (it was set against the old scales); it needs a calibrated model and images. (The
// redrawing that makes its images needs OpenCV: tests/core/image/canvas_calibration_test.cpp.)
TEST(Calibration, TheCanvasCalibrationMeasuresDrawingsAloneAndIsSavedWholeAndCleared) {
    AnomalyModel model = test::fixture_model().clone();
    const ImageBatch digits = test::test_digits(ClassSet::all(), 400);
    ImageBatch thin = digits;  // a stand-in for redrawn digits: the same digits with fainter ink
    for (float& pixel : thin.pixels) pixel *= 0.7f;
    calibrate_canvas(model, thin);
    const ModelInfo& info = model.info();
    ASSERT_TRUE(info.canvas.is_set());
    EXPECT_GT(info.canvas.shape, 0);
    EXPECT_GT(info.canvas.heat_full_scale, 0);
    EXPECT_EQ(info.mnist.stroke, test::fixture_model().info().mnist.stroke);

    ScoreParams as_drawings;
    as_drawings.input = InputKind::Drawn;
    const std::vector<ImageScore> drawn = model.score(digits, as_drawings), scanned = model.score(digits);
    for (size_t i = 0; i < drawn.size(); ++i) {
        const WeightedParts<float> parts = weighted_parts(info, drawn[i]);
        EXPECT_FLOAT_EQ(drawn[i].stroke_ratio, parts.stroke() / info.canvas.stroke) << i;
        EXPECT_FLOAT_EQ(drawn[i].shape_ratio, parts.shape() / info.canvas.shape) << i;
        EXPECT_FLOAT_EQ(scanned[i].stroke_ratio, parts.stroke() / info.mnist.stroke) << i;
    }
    EXPECT_EQ(&calibration_for(info, InputKind::Drawn), &info.canvas);
    EXPECT_EQ(&calibration_for(info, InputKind::Scanned), &info.mnist);
    // It keeps the channel values of the images it was set on, for the percentile of a drawing
    // among them: at the threshold, the share the calibration leaves unflagged, to ties.
    EXPECT_EQ(info.canvas.validation_stroke.size(), static_cast<size_t>(thin.size()));
    EXPECT_EQ(info.canvas.validation_scores.size(), static_cast<size_t>(thin.size()));
    EXPECT_NEAR(info.canvas.percentile(kFlagRatio), info.threshold_quantile, 0.01);

    const std::string path = test::scratch_dir() + "/canvas.safetensors";
    model.save(path);
    const ModelInfo loaded = AnomalyModel::load(path).info();
    EXPECT_EQ(loaded.canvas.stroke, info.canvas.stroke);
    EXPECT_EQ(loaded.canvas.shape, info.canvas.shape);
    EXPECT_EQ(loaded.canvas.heat_full_scale, info.canvas.heat_full_scale);
    EXPECT_EQ(loaded.canvas.channel_quantile, info.canvas.channel_quantile);
    EXPECT_EQ(loaded.canvas.validation_scores, info.canvas.validation_scores);
    const safetensors::File whole = safetensors::read(path);
    // A calibration with its values but a key missing is refused, even when the missing one is
    // the stroke threshold that marks a calibration as there; so is a heat scale of 0.
    safetensors::File file = whole;
    file.metadata.erase("oddigit.canvas_stroke_threshold");
    safetensors::write(path, file);
    expect_load_refused(path, "oddigit.canvas_stroke_threshold");
    file = whole;
    file.metadata["oddigit.canvas_heat_full_scale"] = "0";
    safetensors::write(path, file);
    expect_load_refused(path, "oddigit.canvas_heat_full_scale");
    // 0.7 kept the thresholds alone: such a file opens without its canvas calibration.
    file = whole;
    file.metadata.erase("oddigit.canvas_channel_quantile");
    for (const char* name : {"calibration.canvas_validation_stroke", "calibration.canvas_validation_shape"})
        file.tensors.erase(name);
    safetensors::write(path, file);
    EXPECT_FALSE(AnomalyModel::load(path).info().canvas.is_set());

    calibrate(model, digits, 0.95f);
    EXPECT_FALSE(model.info().canvas.is_set());
    EXPECT_EQ(model.score_values(digits, as_drawings), model.score_values(digits)) << "drawings fall back to MNIST's";
    EXPECT_THROW(calibrate_canvas(model, ImageBatch{}), Error);
    model.info().mnist.stroke = 0;
    EXPECT_THROW(calibrate_canvas(model, thin), Error);
}

// The density weight reads on the residuals' scale whatever the density's own units: a density
// whose distances are all 4 times as large gets a quarter of the scale, and every score and
// the shape threshold stay where they were.
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
    EXPECT_NEAR(larger.info().terms[ShapeTerm::Density].scale, model.info().terms[ShapeTerm::Density].scale / 4, 1e-5 * model.info().terms[ShapeTerm::Density].scale);
    EXPECT_NEAR(larger.info().mnist.shape, model.info().mnist.shape, 1e-5 * model.info().mnist.shape);
    const ImageBatch others = test::foreign_images(50, 3);
    const std::vector<float> expected = model.score_values(others), got = larger.score_values(others);
    for (size_t i = 0; i < expected.size(); ++i) EXPECT_NEAR(got[i], expected[i], 1e-5 * expected[i]) << i;
}

// Normal images whose density distances do not spread (here: one image) give the density term
// no scale: the calibration says so instead of silently dropping the term.
TEST(Calibration, RefusesADensityItCannotScale) {
    AnomalyModel model = test::fixture_model().clone();
    ASSERT_TRUE(model.info().knows_density);
    ASSERT_GT(model.info().terms[ShapeTerm::Density].weight, 0.0f);
    const ImageBatch same = test::test_digits(ClassSet::all(), 1);
    try {
        calibrate(model, same, 0.95f);
        ADD_FAILURE() << "calibrated with density_scale " << model.info().terms[ShapeTerm::Density].scale;
    } catch (const Error& error) {
        EXPECT_NE(std::string(error.what()).find("do not spread"), std::string::npos) << error.what();
    }
    // Without a density weight (nor the reader's, whose term does not spread on one image
    // either) the scale does not matter, and the calibration goes on.
    model.info().terms[ShapeTerm::Density].weight = 0;
    model.info().terms[ShapeTerm::Reader].weight = 0;
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
    EXPECT_GT(info.terms[ShapeTerm::Density].scale, 0.0f);

    const std::string path = test::scratch_dir() + "/density.safetensors";
    model.save(path);
    const AnomalyModel loaded = AnomalyModel::load(path);
    EXPECT_TRUE(loaded.info().knows_density);
    EXPECT_EQ(loaded.info().terms[ShapeTerm::Density].scale, info.terms[ShapeTerm::Density].scale);
    EXPECT_EQ(loaded.fingerprint(), model.fingerprint());
    EXPECT_EQ(loaded.score_values(others), model.score_values(others));

    EXPECT_THROW(fit_density(model, LabelledImages{}), Error);
    LabelledImages mislabelled = train;
    mislabelled.labels[0] = 10;
    EXPECT_THROW(fit_density(model, mislabelled), Error);
}

}  // namespace
}  // namespace oddigit
