#include "oddigit/model.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <numeric>
#include <thread>

#include "oddigit/error.h"
#include "oddigit/metrics.h"
#include "oddigit/protocol.h"
#include "oddigit/safetensors.h"
#include "oddigit/strokes.h"
#include "oddigit/train.h"
#include "oddigit/runtime.h"
#include "oddigit/score.h"
#include "test_support.h"

namespace oddigit {
namespace {

// ln of value's tail share among values, as oddigit/score.h defines it, written apart from the
// engine's: the share at or above it, interpolated between the values; beyond the largest, an
// exponential fall from 1 / n whose mean is the values' mean excess over their 95th percentile.
double log_tail_share(std::vector<float> values, double value) {
    std::sort(values.begin(), values.end());
    const size_t n = values.size();
    if (value <= values.front()) return 0.0;
    if (value > values.back()) {
        const double cut = quantile(values, 0.95);
        double excess = 0;
        int over = 0;
        for (float v : values)
            if (v > cut) excess += v - cut, ++over;
        return -std::log(static_cast<double>(n)) - (value - values.back()) / (excess / over);
    }
    const size_t above = std::lower_bound(values.begin(), values.end(), static_cast<float>(value)) - values.begin();
    const double low = values[above - 1], high = values[above];
    const double position = (value - low) / (high - low);
    return std::log((static_cast<double>(n) - (above - 1) - position) / n);
}

// Fusing by tail probability moves no flag: the score reaches 1 exactly where a channel
// reaches its threshold, on digits and on images that are none.
TEST(Model, TheFusedScoreFlagsExactlyWhereAChannelReachesItsThreshold) {
    ImageBatch images = test::test_digits(ClassSet::all(), 30);
    const ImageBatch foreign = test::foreign_images(30, 5);
    images.pixels.insert(images.pixels.end(), foreign.pixels.begin(), foreign.pixels.end());
    int flagged_images = 0;
    for (const ImageScore& s : test::fixture_model().score(images)) {
        const bool a_channel = std::max(s.stroke_ratio, s.shape_ratio) >= 1.0f;
        EXPECT_EQ(flagged(s), a_channel) << s.score << " " << s.stroke_ratio << " " << s.shape_ratio;
        flagged_images += a_channel;
    }
    EXPECT_GT(flagged_images, 10);
    EXPECT_LT(flagged_images, 50);
}

// The two channels: the stroke channel (hottest heat + kappa * feature residual) and the shape
// channel (the weighted not-a-digit, density, realness and reader terms), each over its own
// threshold; the score fuses them by tail probability, the larger of ln p / ln p_threshold.
TEST(Model, ScoreFusesTheStrokeAndShapeRatiosByTailProbability) {
    const ImageBatch images = test::test_digits(ClassSet::all(), 20);
    const auto scores = test::fixture_model().score(images);
    const ModelInfo& info = test::fixture_model().info();
    ASSERT_TRUE(info.knows_classes);
    ASSERT_TRUE(info.knows_density);
    EXPECT_GT(info.terms[ShapeTerm::Density].weight * info.terms[ShapeTerm::Density].scale, 0.0f);
    ASSERT_EQ(scores.size(), 20u);
    ASSERT_GT(info.mnist.stroke, 0.0f);
    ASSERT_GT(info.mnist.shape, 0.0f);
    for (const ImageScore& s : scores) {
        const float stroke = (s.pixel_residual + info.terms.kappa * s.feature_residual) / info.mnist.stroke;
        const float shape = (info.terms[ShapeTerm::NotAClass].weight * s.not_digit + info.terms[ShapeTerm::Density].weight * info.terms[ShapeTerm::Density].scale * s.feature_density +
                             info.terms[ShapeTerm::Realness].weight * info.terms[ShapeTerm::Realness].scale * s.realness +
                             info.terms[ShapeTerm::Reader].weight * info.terms[ShapeTerm::Reader].scale * s.reader) /
                            info.mnist.shape;
        EXPECT_NEAR(s.stroke_ratio, stroke, 1e-5 * (1 + stroke));
        EXPECT_NEAR(s.shape_ratio, shape, 1e-5 * (1 + shape));
        const Calibration& c = info.mnist;
        const double stroke_tail = log_tail_share(c.validation_stroke, stroke * c.stroke) /
                                   log_tail_share(c.validation_stroke, c.stroke);
        const double shape_tail = log_tail_share(c.validation_shape, shape * c.shape) /
                                  log_tail_share(c.validation_shape, c.shape);
        EXPECT_NEAR(s.score, std::max(stroke_tail, shape_tail), 1e-4 * (1 + std::max(stroke_tail, shape_tail)));
        EXPECT_EQ(flagged(s), std::max(s.stroke_ratio, s.shape_ratio) >= 1.0f);
        EXPECT_GE(s.realness, 0.0f);
        EXPECT_GE(s.not_digit, 0.0f);
        EXPECT_GE(s.feature_density, 0.0f);
        for (float h : s.heatmap) EXPECT_GE(h, 0.0f);
        std::vector<float> heat(s.heatmap.begin(), s.heatmap.end());
        std::sort(heat.begin(), heat.end(), std::greater<float>());
        const double hottest20 = std::accumulate(heat.begin(), heat.begin() + 20, 0.0) / 20;
        EXPECT_NEAR(s.pixel_residual, hottest20, 1e-5 + 1e-5 * hottest20);
        for (float p : s.reconstruction) EXPECT_TRUE(p >= 0.0f && p <= 1.0f);
    }
}

// The bundled model's digit head names the digit of MNIST test images and calls digits
// turned upside down or mirrored less likely digits than the same digits upright.
TEST(Model, TheDigitHeadNamesTestDigitsAndDoubtsTurnedOnes) {
    const LabelledImages& test = test::mnist().test;
    const int64_t count = 500;
    ImageBatch digits, turned;
    for (int64_t i = 0; i < count; ++i) {
        digits.append(test.images.image(i));
        Image28 image = test.images.at(i);
        std::reverse(image.begin(), image.end());  // a half turn
        turned.append(image.data());
    }
    const auto upright = test::fixture_model().score(digits);
    const auto upside_down = test::fixture_model().score(turned);
    int named = 0;
    std::vector<float> not_digit;
    std::vector<bool> is_turned;
    for (int64_t i = 0; i < count; ++i) {
        named += upright[i].best_class == test.labels[i];
        // 0, 1 and 8 turn into themselves, 6 and 9 into each other.
        if (test.labels[i] == 0 || test.labels[i] == 1 || test.labels[i] == 6 || test.labels[i] == 8 || test.labels[i] == 9)
            continue;
        not_digit.insert(not_digit.end(), {upright[i].not_digit, upside_down[i].not_digit});
        is_turned.insert(is_turned.end(), {false, true});
    }
    test::print_measured("digit head: share of test digits named right", static_cast<double>(named) / count);
    test::print_measured("digit head: AUROC of not-a-digit, turned vs upright", auroc(not_digit, is_turned));
    EXPECT_GT(static_cast<double>(named) / count, 0.9);
    EXPECT_GT(auroc(not_digit, is_turned), 0.9);
}

// Models saved before the digit head and the density load and score as they did: the residual
// alone, its ratio flagging as before and the fused score ranking as it does.
TEST(Model, AModelFromBeforeTheDigitHeadStillLoadsAndScores) {
    const AnomalyModel old = AnomalyModel::load(test::old_model_path());
    EXPECT_FALSE(old.info().knows_classes);
    EXPECT_EQ(old.info().terms[ShapeTerm::NotAClass].weight, 0.0f);
    EXPECT_FALSE(old.info().knows_density);
    const ImageBatch images = test::test_digits(ClassSet::all(), 10);
    const auto scores = old.score(images);
    int flagged = 0;
    // No shape term has a weight: the stroke channel alone scores and flags.
    EXPECT_FALSE(has_shape_channel(old.info()));
    EXPECT_EQ(old.info().mnist.shape, 0.0f);
    for (const ImageScore& s : scores) {
        const float stroke = s.pixel_residual + old.info().terms.kappa * s.feature_residual;
        EXPECT_NEAR(s.stroke_ratio, stroke / old.info().mnist.stroke, 1e-5 * s.stroke_ratio);
        for (const ImageScore& other : scores)
            if (other.stroke_ratio < s.stroke_ratio) EXPECT_LE(other.score, s.score);
        EXPECT_EQ(oddigit::flagged(s), s.stroke_ratio >= 1.0f);
        EXPECT_EQ(s.shape_ratio, 0.0f);
        EXPECT_EQ(s.best_class, -1);
        EXPECT_EQ(s.not_digit, 0.0f);
        EXPECT_EQ(s.feature_density, 0.0f);
        flagged += oddigit::flagged(s);
    }
    EXPECT_LE(flagged, 2);
    // Saved again, it stays in the old layout, without a digit head.
    const std::string path = test::scratch_dir() + "/old-again.safetensors";
    old.save(path);
    const safetensors::File file = safetensors::read(path);
    for (const auto& entry : file.tensors) {
        EXPECT_EQ(entry.first.find("digits"), std::string::npos) << entry.first;
        EXPECT_NE(entry.first.rfind("density.", 0), 0u) << entry.first;
    }
    EXPECT_EQ(AnomalyModel::load(path).score_values(images), old.score_values(images));
}

TEST(Model, BatchedSingleAndValueOnlyScoresAgree) {
    const ImageBatch images = test::test_digits(ClassSet::all(), 10);
    ScoreParams small_batches;
    small_batches.batch_size = 3;
    const auto batched = test::fixture_model().score(images);
    const auto chunked = test::fixture_model().score_values(images, small_batches);
    // The channels agree to rounding; the fused score within 0.1 %: its tail share is
    // interpolated between neighbouring held-out values, which can lie close, and so magnifies
    // a last-bit difference of a channel.
    for (int64_t i = 0; i < images.size(); ++i) {
        const ImageScore alone = test::fixture_model().score(images.at(i));
        EXPECT_NEAR(alone.stroke_ratio, batched[i].stroke_ratio, 1e-5 * (1 + batched[i].stroke_ratio));
        EXPECT_NEAR(alone.shape_ratio, batched[i].shape_ratio, 1e-5 * (1 + batched[i].shape_ratio));
        EXPECT_NEAR(alone.score, batched[i].score, 1e-3 * (1 + batched[i].score));
        EXPECT_NEAR(chunked[i], batched[i].score, 1e-3 * (1 + batched[i].score));
    }
}

// Scoring only reads the model: four threads scoring one model at once, one LibTorch thread
// each, get what one thread alone gets, bit for bit, in both modes (what Explore and the Draw
// view do with the app's model).
TEST(Model, FourThreadsScoringOneModelAtOnceGetTheSingleThreadResultsBitForBit) {
    const AnomalyModel& model = test::fixture_model();
    const ImageBatch images = test::test_digits(ClassSet::all(), 4);
    ScoreParams search;
    search.mode = ScoreMode::LatentSearch;
    search.search_steps = 15;
    const int threads_before = set_thread_count(1);
    const std::vector<ImageScore> alone = model.score(images);
    const std::vector<float> alone_search = model.score_values(images, search);
    constexpr int kThreads = 4, kRepeats = 3;
    std::vector<std::vector<std::vector<ImageScore>>> together(kThreads);
    std::vector<std::vector<std::vector<float>>> together_search(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            init_worker_thread();
            set_thread_count(1);
            for (int repeat = 0; repeat < kRepeats; ++repeat) {
                together[t].push_back(model.score(images));
                together_search[t].push_back(model.score_values(images, search));
            }
        });
    for (std::thread& thread : threads) thread.join();
    set_thread_count(threads_before);
    const auto same = [](const ImageScore& a, const ImageScore& b) {
        return a.score == b.score && a.stroke_ratio == b.stroke_ratio && a.shape_ratio == b.shape_ratio &&
               a.pixel_residual == b.pixel_residual && a.feature_residual == b.feature_residual &&
               a.not_digit == b.not_digit && a.best_class == b.best_class && a.feature_density == b.feature_density &&
               a.realness == b.realness && a.reader == b.reader && a.heatmap == b.heatmap &&
               a.reconstruction == b.reconstruction;
    };
    for (int t = 0; t < kThreads; ++t)
        for (int repeat = 0; repeat < kRepeats; ++repeat) {
            const std::vector<ImageScore>& scores = together[t][repeat];
            ASSERT_EQ(scores.size(), alone.size());
            for (size_t i = 0; i < alone.size(); ++i) EXPECT_TRUE(same(scores[i], alone[i])) << "thread " << t << ", image " << i;
            EXPECT_EQ(together_search[t][repeat], alone_search) << "thread " << t;
        }
}

TEST(Model, SavedAndClonedModelsScoreTheSame) {
    const std::string path = test::scratch_dir() + "/copy.safetensors";
    test::fixture_model().save(path);
    const AnomalyModel loaded = AnomalyModel::load(path);
    const AnomalyModel cloned = test::fixture_model().clone();
    const ImageBatch images = test::test_digits(ClassSet::all(), 10);
    const auto expected = test::fixture_model().score_values(images);
    EXPECT_EQ(loaded.score_values(images), expected);
    EXPECT_EQ(cloned.score_values(images), expected);
    EXPECT_EQ(loaded.info().mnist.stroke, test::fixture_model().info().mnist.stroke);
    EXPECT_EQ(loaded.info().mnist.shape, test::fixture_model().info().mnist.shape);
    EXPECT_EQ(loaded.info().mnist.validation_stroke, test::fixture_model().info().mnist.validation_stroke);
    EXPECT_EQ(loaded.info().mnist.validation_shape, test::fixture_model().info().mnist.validation_shape);
    EXPECT_EQ(loaded.info().mnist.validation_scores, test::fixture_model().info().mnist.validation_scores);
    EXPECT_EQ(loaded.info().normal_classes, test::fixture_model().info().normal_classes);
    EXPECT_TRUE(loaded.info().knows_classes);
    EXPECT_EQ(loaded.info().terms[ShapeTerm::NotAClass].weight, test::fixture_model().info().terms[ShapeTerm::NotAClass].weight);
    // Caches keyed by the fingerprint find their entries again for either copy.
    EXPECT_EQ(loaded.fingerprint(), test::fixture_model().fingerprint());
    EXPECT_EQ(cloned.fingerprint(), test::fixture_model().fingerprint());
    EXPECT_NE(AnomalyModel::create({}, 1).fingerprint(), test::fixture_model().fingerprint());
    EXPECT_NE(AnomalyModel::create({}, 1).fingerprint(), AnomalyModel::create({}, 2).fingerprint());
}

// Scoring on a GPU gives the CPU's scores; where there is none, asking for one is an error
// that says so, and the model goes on scoring on the CPU.
TEST(Model, ScoresOnCudaWhereThereIsOne) {
    AnomalyModel model = test::fixture_model().clone();
    EXPECT_THROW(model.set_device("abacus"), Error);
    if (default_device() != "cuda") {
        EXPECT_THROW(model.set_device("cuda"), Error);
        EXPECT_EQ(model.score_values(test::test_digits(ClassSet::all(), 4)).size(), 4u);
        GTEST_SKIP() << "no CUDA device here";
    }
    const ImageBatch images = test::test_digits(ClassSet::all(), 50);
    const std::vector<float> on_cpu = model.score_values(images);
    model.set_device("cuda");
    const std::vector<float> on_gpu = model.score_values(images);
    for (size_t i = 0; i < on_cpu.size(); ++i) EXPECT_NEAR(on_gpu[i], on_cpu[i], 1e-3 * (1 + on_cpu[i]));
}

TEST(Model, ForeignStrokeRaisesTheScoreAndLightsUpTheHeatmap) {
    const ImageBatch clean = test::test_digits(ClassSet::all(), 100);
    ImageBatch stroked = clean;
    std::vector<Image28> masks;
    for (int64_t i = 0; i < stroked.size(); ++i) masks.push_back(draw_stroke(stroked.image(i), 1, 1, 8, 24));
    const auto clean_scores = test::fixture_model().score(clean);
    const auto stroked_scores = test::fixture_model().score(stroked);
    int raised = 0;
    double inside = 0, outside = 0, inside_pixels = 0, outside_pixels = 0;
    for (int64_t i = 0; i < clean.size(); ++i) {
        raised += stroked_scores[i].score > clean_scores[i].score;
        for (int p = 0; p < kImagePixels; ++p) {
            (masks[i][p] > 0 ? inside : outside) += stroked_scores[i].heatmap[p];
            (masks[i][p] > 0 ? inside_pixels : outside_pixels) += 1;
        }
    }
    EXPECT_GE(raised, 95);
    // The stroke's pixels carry far more residual per pixel than the rest of the image.
    EXPECT_GT(inside / inside_pixels, 5 * outside / outside_pixels);
    std::vector<float> scores;
    std::vector<bool> anomalous;
    for (int64_t i = 0; i < clean.size(); ++i) {
        scores.push_back(clean_scores[i].score);
        anomalous.push_back(false);
        scores.push_back(stroked_scores[i].score);
        anomalous.push_back(true);
    }
    EXPECT_GT(auroc(scores, anomalous), 0.9);
}

// The bundled model's localization on the first 300 test digits, its AUROCs printed; every
// kind of stroke raises the mean score.
LocalizationReport localize_test_digits(StrokeStyle style, const std::string& name) {
    LocalizationParams params;
    params.images = 300;
    params.style = style;
    const LocalizationReport report = run_localization(test::fixture_model(), images_of(test::mnist().test, ClassSet::all()), params);
    EXPECT_EQ(report.images, 300);
    test::print_measured(name + "_pixel_auroc", report.pixel_auroc);
    test::print_measured(name + "_image_auroc", report.image_auroc);
    EXPECT_GT(report.mean_stroked_score, report.mean_clean_score);
    return report;
}

// The second, independently written generator: arcs, hooks and loops of varied width and ink.
TEST(Model, LocalizationFindsVariedForeignStrokes) {
    const LocalizationReport report = localize_test_digits(StrokeStyle::Varied, "varied");
    EXPECT_GT(report.pixel_auroc, 0.9);
    EXPECT_GT(report.image_auroc, 0.75);
}

// Ink that is missing: a gap wiped across the digit raises the score, and the heatmap shows where.
TEST(Model, LocalizationFindsErasedInk) {
    const LocalizationReport report = localize_test_digits(StrokeStyle::Erased, "erased");
    EXPECT_GT(report.pixel_auroc, 0.85);
    EXPECT_GT(report.image_auroc, 0.8);
    int lighter = 0;
    for (size_t i = 0; i < report.clean.pixels.size(); ++i) {
        ASSERT_LE(report.stroked.pixels[i], report.clean.pixels[i]);
        lighter += report.stroked.pixels[i] < report.clean.pixels[i];
    }
    EXPECT_GT(lighter, 300 * 4);
}

TEST(Model, LocalizationFindsRandomForeignStrokes) {
    const LocalizationReport report = localize_test_digits(StrokeStyle::Straight, "straight");
    EXPECT_GT(report.pixel_auroc, 0.9);
    EXPECT_GT(report.image_auroc, 0.75);
    // Mirrored 0s, 1s and 8s look normal, most other digits do not.
    EXPECT_GT(report.mirrored_image_auroc, 0.6);
    // Each stroked digit differs from its clean twin only where the stroke went.
    int changed = 0;
    for (size_t i = 0; i < report.clean.pixels.size(); ++i) changed += report.clean.pixels[i] != report.stroked.pixels[i];
    EXPECT_GT(changed, 300 * 4);
    EXPECT_LT(changed, 300 * 2 * 2 * 20);
}

TEST(Model, LatentSearchRanksForeignImagesAboveDigits) {
    ScoreParams search;
    search.mode = ScoreMode::LatentSearch;
    search.search_steps = 60;
    const ImageBatch digits = test::test_digits(ClassSet::all(), 15);
    const ImageBatch foreign = test::foreign_images(15, 5);
    const auto digit_scores = test::fixture_model().score(digits, search);
    const auto foreign_scores = test::fixture_model().score_values(foreign, search);
    std::vector<float> scores;
    std::vector<bool> anomalous;
    for (const ImageScore& s : digit_scores) {
        EXPECT_NEAR(s.score, 0.9f * s.pixel_residual + 0.1f * s.feature_residual, 1e-3 * s.score + 1e-5);
        scores.push_back(s.score);
        anomalous.push_back(false);
    }
    for (float s : foreign_scores) {
        scores.push_back(s);
        anomalous.push_back(true);
    }
    EXPECT_GT(auroc(scores, anomalous), 0.9);
    // More search steps fit the digits at least as well on average.
    search.search_steps = 5;
    double short_search = 0, long_search = 0;
    const auto rough = test::fixture_model().score(digits, search);
    for (size_t i = 0; i < rough.size(); ++i) {
        short_search += rough[i].pixel_residual;
        long_search += digit_scores[i].pixel_residual;
    }
    EXPECT_LT(long_search, short_search);
}

TEST(Model, ValidationPercentileAndGenerate) {
    const AnomalyModel& model = test::fixture_model();
    const auto& validation = model.info().mnist.validation_scores;
    ASSERT_FALSE(validation.empty());
    EXPECT_TRUE(std::is_sorted(validation.begin(), validation.end()));
    EXPECT_EQ(model.info().mnist.percentile(validation.front() - 1), 0.0);
    EXPECT_EQ(model.info().mnist.percentile(validation.back() + 1), 1.0);
    EXPECT_NEAR(model.info().mnist.percentile(kFlagRatio), model.info().threshold_quantile, 0.002);

    const ImageBatch digits = test::test_digits(ClassSet::all(), 4);
    const std::vector<float> codes = model.encode(digits);
    ASSERT_EQ(codes.size(), 4u * model.info().architecture.latent_dim);
    const ImageBatch generated = model.generate(codes);
    ASSERT_EQ(generated.size(), 4);
    // G(E(x)) from generate() is the reconstruction score() reports.
    const auto scores = model.score(digits);
    for (int p = 0; p < kImagePixels; ++p) EXPECT_NEAR(generated.image(2)[p], scores[2].reconstruction[p], 1e-5);
    EXPECT_THROW(model.generate({1.0f, 2.0f, 3.0f}), Error);
}

}  // namespace
}  // namespace oddigit
