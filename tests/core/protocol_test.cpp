#include "oddigit/protocol.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "oddigit/error.h"
#include "test_support.h"

namespace oddigit {
namespace {

// The first count images of a labelled set.
LabelledImages first(const LabelledImages& data, int64_t count) {
    LabelledImages part;
    part.images.pixels.assign(data.images.pixels.begin(), data.images.pixels.begin() + count * kImagePixels);
    part.labels.assign(data.labels.begin(), data.labels.begin() + count);
    return part;
}

TEST(Protocol, LeaveOneOutPoolsBothSetsAndTestsOnAFifthOfTheNormalImagesPlusEveryAnomaly) {
    // A tenth of MNIST keeps the run to seconds; the split works the same on the full set.
    MnistSet small{first(test::mnist().train, 6000), first(test::mnist().test, 1000)};
    constexpr int kAnomaly = 0;
    int64_t normal_count = 0, anomaly_count = 0;
    for (const LabelledImages* set : {&small.train, &small.test})
        for (uint8_t label : set->labels) (label == kAnomaly ? anomaly_count : normal_count)++;

    LeaveOneOutParams params;
    params.digits = {kAnomaly};
    params.train.gan_epochs = 2;
    params.train.encoder_epochs = 2;
    params.seed = test::training_seed(params.seed);
    const LeaveOneOutReport report = run_leave_one_out(small, params);

    ASSERT_EQ(report.runs.size(), 1u);
    const LeaveOneOutRun& run = report.runs.front();
    EXPECT_EQ(run.digit, kAnomaly);
    EXPECT_EQ(run.test_anomalous_images, anomaly_count);
    EXPECT_EQ(run.test_normal_images, std::llround(params.test_fraction * normal_count));
    const int64_t learn_count = normal_count - run.test_normal_images;
    EXPECT_EQ(run.train_images, learn_count - static_cast<int64_t>(params.validation_fraction * learn_count + 0.5));
    // A 2 + 2 epoch run's AUROC depends on the seed and the CPU (0.59 to 0.86 seen once; 0.888
    // to 0.932 on seeds 1-6 with OpenBLAS's default and SkylakeX kernels, 2 Dec 2026), and the
    // protocol's quality is measured by bench/protocols.sh; but it ranks the anomalies above
    // chance, which a protocol that swapped or mixed up the two sets would not.
    test::print_measured("leave-one-out AUROC of a 2 + 2 epoch run", run.auroc);
    EXPECT_GT(run.auroc, 0.5);
    EXPECT_LE(run.auroc, 1.0);
    EXPECT_DOUBLE_EQ(report.mean_auroc(), run.auroc);
}

// The per-digit AUROCs split the overall one: every (anomaly, normal) pair belongs to the
// anomaly's digit, so the overall AUROC is their mean weighted by image count.
TEST(Evaluate, SplitsTheAurocByAnomalousDigit) {
    AnomalyModel model = AnomalyModel::load(test::fixture_model_path());
    model.info().normal_classes = ClassSet::parse("3,8");
    const LabelledImages test_set = first(test::mnist().test, 2000);
    const TestEvaluation evaluation = evaluate(model, test_set);

    ASSERT_EQ(evaluation.auroc_per_class.size(), 10u);
    EXPECT_EQ(evaluation.auroc_per_class[3], -1.0);
    EXPECT_EQ(evaluation.auroc_per_class[8], -1.0);
    double weighted = 0;
    int64_t anomalies = 0;
    for (int d = 0; d < 10; ++d) {
        if (d == 3 || d == 8) continue;
        const auto images = std::count(test_set.labels.begin(), test_set.labels.end(), d);
        ASSERT_GT(images, 0);
        EXPECT_GE(evaluation.auroc_per_class[d], 0.0) << d;
        EXPECT_LE(evaluation.auroc_per_class[d], 1.0) << d;
        weighted += images * evaluation.auroc_per_class[d];
        anomalies += images;
    }
    EXPECT_NEAR(weighted / anomalies, evaluation.auroc, 1e-9);
}

TEST(Protocol, LeaveOneOutRejectsUnusableSettings) {
    LeaveOneOutParams params;
    params.digits.clear();
    EXPECT_THROW(run_leave_one_out(test::mnist(), params), Error);
    params.digits = {1};
    params.test_fraction = 1.0;
    EXPECT_THROW(run_leave_one_out(test::mnist(), params), Error);
}

}  // namespace
}  // namespace oddigit
