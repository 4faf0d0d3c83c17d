#pragma once
// Detection metrics. Label convention: true = anomalous (positive), false = normal.
#include <vector>

namespace oddigit {

// Area under the ROC curve, computed as the Mann-Whitney U statistic with mid-ranks, so
// tied scores count one half. Throws Error when the sizes differ or one class is empty.
double auroc(const std::vector<float>& scores, const std::vector<bool>& anomalous);

struct RocPoint {
    double false_positive_rate;
    double true_positive_rate;
    float threshold;  // flagged means score >= threshold
};

// The ROC curve from (0,0) to (1,1), one point per distinct score.
// Throws Error as auroc() does.
std::vector<RocPoint> roc_curve(const std::vector<float>& scores, const std::vector<bool>& anomalous);

// The q-quantile (0..1) of values by linear interpolation. Throws Error when values is empty.
float quantile(std::vector<float> values, double q);

}  // namespace oddigit
