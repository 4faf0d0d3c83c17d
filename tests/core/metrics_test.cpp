#include "oddigit/metrics.h"

#include <gtest/gtest.h>

#include "oddigit/error.h"

namespace oddigit {
namespace {

TEST(Auroc, PerfectInvertedAndTied) {
    EXPECT_DOUBLE_EQ(auroc({0.1f, 0.2f, 0.8f, 0.9f}, {false, false, true, true}), 1.0);
    EXPECT_DOUBLE_EQ(auroc({0.9f, 0.8f, 0.2f, 0.1f}, {false, false, true, true}), 0.0);
    EXPECT_DOUBLE_EQ(auroc({0.5f, 0.5f, 0.5f, 0.5f}, {false, true, false, true}), 0.5);
}

TEST(Auroc, HandComputedCases) {
    // Anomalies 0.35 and 0.8 against normals 0.1 and 0.4: 3 of 4 pairs ordered right.
    EXPECT_DOUBLE_EQ(auroc({0.1f, 0.4f, 0.35f, 0.8f}, {false, false, true, true}), 0.75);
    // A tie counts one half: pairs (2 vs 1) win, (2 vs 2) tie, (3 vs 1), (3 vs 2) win.
    EXPECT_DOUBLE_EQ(auroc({1, 2, 2, 3}, {false, true, false, true}), 3.5 / 4);
    // Unbalanced: one anomaly above two of three normals.
    EXPECT_DOUBLE_EQ(auroc({5, 1, 7, 3}, {true, false, false, false}), 2.0 / 3);
}

TEST(Auroc, RejectsSingleClassAndSizeMismatch) {
    EXPECT_THROW(auroc({1, 2}, {true, true}), Error);
    EXPECT_THROW(auroc({1, 2}, {false, false}), Error);
    EXPECT_THROW(auroc({1, 2, 3}, {false, true}), Error);
}

TEST(RocCurve, RunsFromOriginToOneAndItsAreaIsTheAuroc) {
    const std::vector<float> scores = {0.3f, 0.1f, 0.7f, 0.7f, 0.2f, 0.9f, 0.4f, 0.6f};
    const std::vector<bool> labels = {false, false, true, false, false, true, true, false};
    const auto curve = roc_curve(scores, labels);
    ASSERT_GE(curve.size(), 2u);
    EXPECT_EQ(curve.front().false_positive_rate, 0.0);
    EXPECT_EQ(curve.front().true_positive_rate, 0.0);
    EXPECT_EQ(curve.back().false_positive_rate, 1.0);
    EXPECT_EQ(curve.back().true_positive_rate, 1.0);
    double area = 0;
    for (size_t i = 1; i < curve.size(); ++i) {
        EXPECT_GE(curve[i].false_positive_rate, curve[i - 1].false_positive_rate);
        EXPECT_GE(curve[i].true_positive_rate, curve[i - 1].true_positive_rate);
        area += (curve[i].false_positive_rate - curve[i - 1].false_positive_rate) *
                (curve[i].true_positive_rate + curve[i - 1].true_positive_rate) / 2;
    }
    EXPECT_NEAR(area, auroc(scores, labels), 1e-12);
}

TEST(Quantile, Interpolates) {
    EXPECT_FLOAT_EQ(quantile({4, 1, 3, 2}, 0.0), 1);
    EXPECT_FLOAT_EQ(quantile({4, 1, 3, 2}, 1.0), 4);
    EXPECT_FLOAT_EQ(quantile({4, 1, 3, 2}, 0.5), 2.5);
    EXPECT_THROW(quantile({}, 0.5), Error);
}

}  // namespace
}  // namespace oddigit
