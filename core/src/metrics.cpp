#include "oddigit/metrics.h"

#include <algorithm>
#include <numeric>

#include "oddigit/error.h"

namespace oddigit {

namespace {

void check(const std::vector<float>& scores, const std::vector<bool>& anomalous, size_t& positives) {
    if (scores.size() != anomalous.size()) throw Error("scores and labels differ in length");
    positives = static_cast<size_t>(std::count(anomalous.begin(), anomalous.end(), true));
    if (positives == 0 || positives == scores.size())
        throw Error("the ROC needs both anomalous and normal examples");
}

std::vector<size_t> order_by_score(const std::vector<float>& scores) {
    std::vector<size_t> order(scores.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] < scores[b]; });
    return order;
}

}  // namespace

double auroc(const std::vector<float>& scores, const std::vector<bool>& anomalous) {
    size_t positives = 0;
    check(scores, anomalous, positives);
    const size_t negatives = scores.size() - positives;
    const std::vector<size_t> order = order_by_score(scores);
    // Sum of the mid-ranks (1-based) of the anomalous examples.
    double positive_rank_sum = 0;
    for (size_t start = 0; start < order.size();) {
        size_t end = start;
        while (end < order.size() && scores[order[end]] == scores[order[start]]) ++end;
        const double mid_rank = (start + 1 + end) / 2.0;
        for (size_t k = start; k < end; ++k)
            if (anomalous[order[k]]) positive_rank_sum += mid_rank;
        start = end;
    }
    const double u = positive_rank_sum - positives * (positives + 1) / 2.0;
    return u / (static_cast<double>(positives) * negatives);
}

std::vector<RocPoint> roc_curve(const std::vector<float>& scores, const std::vector<bool>& anomalous) {
    size_t positives = 0;
    check(scores, anomalous, positives);
    const size_t negatives = scores.size() - positives;
    std::vector<size_t> order = order_by_score(scores);
    std::reverse(order.begin(), order.end());
    std::vector<RocPoint> curve;
    curve.push_back({0.0, 0.0, scores[order.front()] + 1.0f});
    size_t true_positives = 0, false_positives = 0;
    for (size_t k = 0; k < order.size(); ++k) {
        (anomalous[order[k]] ? true_positives : false_positives)++;
        const bool last_of_tie = k + 1 == order.size() || scores[order[k + 1]] != scores[order[k]];
        if (last_of_tie)
            curve.push_back({static_cast<double>(false_positives) / negatives,
                             static_cast<double>(true_positives) / positives, scores[order[k]]});
    }
    return curve;
}

float quantile(std::vector<float> values, double q) {
    if (values.empty()) throw Error("quantile of an empty set");
    std::sort(values.begin(), values.end());
    const double position = std::clamp(q, 0.0, 1.0) * (values.size() - 1);
    const size_t below = static_cast<size_t>(position);
    const size_t above = std::min(below + 1, values.size() - 1);
    const double weight = position - below;
    return static_cast<float>(values[below] * (1 - weight) + values[above] * weight);
}

}  // namespace oddigit
