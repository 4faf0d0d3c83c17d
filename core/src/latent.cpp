#include "oddigit/latent.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "oddigit/error.h"

namespace oddigit {

namespace {
// Power-iteration rounds per component; plenty for a 2-D display.
constexpr int kPowerIterations = 200;

std::vector<double> top_eigenvector(const std::vector<double>& covariance, int dim, uint64_t seed) {
    std::mt19937_64 random(seed);
    std::normal_distribution<double> normal;
    std::vector<double> vector(dim), next(dim);
    for (double& v : vector) v = normal(random);
    for (int round = 0; round < kPowerIterations; ++round) {
        for (int i = 0; i < dim; ++i)
            next[i] = std::inner_product(vector.begin(), vector.end(), covariance.begin() + static_cast<ptrdiff_t>(i) * dim, 0.0);
        const double norm = std::sqrt(std::inner_product(next.begin(), next.end(), next.begin(), 0.0));
        if (norm == 0) break;
        for (int i = 0; i < dim; ++i) vector[i] = next[i] / norm;
    }
    return vector;
}
}  // namespace

std::vector<float> principal_components_2d(const std::vector<float>& codes, int dim) {
    if (dim <= 0 || codes.size() % dim != 0 || codes.size() / dim < 2)
        throw Error("principal components need at least two codes of the same length");
    const size_t count = codes.size() / dim;
    std::vector<double> mean(dim, 0.0);
    for (size_t n = 0; n < count; ++n)
        for (int i = 0; i < dim; ++i) mean[i] += codes[n * dim + i] / count;
    std::vector<double> covariance(static_cast<size_t>(dim) * dim, 0.0);
    std::vector<double> centred(dim);
    for (size_t n = 0; n < count; ++n) {
        for (int i = 0; i < dim; ++i) centred[i] = codes[n * dim + i] - mean[i];
        for (int i = 0; i < dim; ++i)
            for (int j = 0; j < dim; ++j) covariance[static_cast<size_t>(i) * dim + j] += centred[i] * centred[j] / count;
    }
    const std::vector<double> first = top_eigenvector(covariance, dim, 1);
    // Deflate: remove the first component, then find the next.
    double first_value = 0;
    for (int i = 0; i < dim; ++i)
        for (int j = 0; j < dim; ++j) first_value += first[i] * covariance[static_cast<size_t>(i) * dim + j] * first[j];
    for (int i = 0; i < dim; ++i)
        for (int j = 0; j < dim; ++j) covariance[static_cast<size_t>(i) * dim + j] -= first_value * first[i] * first[j];
    const std::vector<double> second = top_eigenvector(covariance, dim, 2);

    std::vector<float> points(count * 2);
    for (size_t n = 0; n < count; ++n) {
        double x = 0, y = 0;
        for (int i = 0; i < dim; ++i) {
            const double c = codes[n * dim + i] - mean[i];
            x += c * first[i];
            y += c * second[i];
        }
        points[2 * n] = static_cast<float>(x);
        points[2 * n + 1] = static_cast<float>(y);
    }
    return points;
}

std::vector<int> nearest_codes(const std::vector<float>& codes, int dim, int query, int k) {
    const int count = static_cast<int>(codes.size() / dim);
    if (query < 0 || query >= count) throw Error("no latent code " + std::to_string(query));
    std::vector<std::pair<float, int>> distances;
    distances.reserve(count);
    const float* q = codes.data() + static_cast<ptrdiff_t>(query) * dim;
    for (int n = 0; n < count; ++n) {
        if (n == query) continue;
        const float* c = codes.data() + static_cast<ptrdiff_t>(n) * dim;
        float d = 0;
        for (int i = 0; i < dim; ++i) d += (c[i] - q[i]) * (c[i] - q[i]);
        distances.push_back({d, n});
    }
    const int keep = std::min<int>(k, static_cast<int>(distances.size()));
    std::partial_sort(distances.begin(), distances.begin() + keep, distances.end());
    std::vector<int> nearest;
    for (int i = 0; i < keep; ++i) nearest.push_back(distances[i].second);
    return nearest;
}

}  // namespace oddigit
