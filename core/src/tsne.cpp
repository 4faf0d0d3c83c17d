#include <algorithm>
#include <cmath>
#include <functional>
#include <optional>
#include <limits>
#include <numeric>
#include <thread>

#include "oddigit/error.h"
#include "oddigit/latent.h"

namespace oddigit {

namespace {

// Each point keeps this many neighbours per unit of perplexity (van der Maaten 2014).
constexpr int kNeighboursPerPerplexity = 3;
// Bisection rounds for each point's Gaussian width; the entropy is met long before.
constexpr int kBandwidthRounds = 100;
constexpr double kEntropyTolerance = 1e-5;
// Update momentum while the clusters form, and after.
constexpr double kEarlyMomentum = 0.5;
constexpr double kLateMomentum = 0.8;
// Per-coordinate step gains (delta-bar-delta), as in the reference implementation.
constexpr double kGainUp = 0.2;
constexpr double kGainDown = 0.8;
constexpr double kMinGain = 0.01;
// Smallest learning rate; larger sets get count / exaggeration (Belkina et al. 2019).
constexpr double kMinLearningRate = 50;
// The PCA start is shrunk to this spread, so that no early distance saturates the kernel.
constexpr double kStartSpread = 1e-4;
// Quadtree cells stop splitting at this depth, so coincident points end in one leaf.
constexpr int kMaxDepth = 32;
// Progress is reported every this many iterations.
constexpr int kProgressEvery = 10;
// The nearest neighbours are searched in blocks of this many points, and a stop is asked for
// between blocks: the search takes seconds for 10,000 codes, and a user's cancel must not wait.
constexpr int kAffinityBlock = 256;

// Runs body(begin, end) over [0, count) in `threads` contiguous parts at once.
template <typename Body>
void parallel_ranges(int count, int threads, const Body& body) {
    const int step = (count + threads - 1) / threads;
    std::vector<std::thread> workers;
    for (int begin = step; begin < count; begin += step) workers.emplace_back(body, begin, std::min(count, begin + step));
    body(0, std::min(count, step));
    for (std::thread& worker : workers) worker.join();
}

// The symmetric input affinities P as a sparse matrix: row i's entries are
// columns[row_starts[i] .. row_starts[i + 1]), and they sum to 1 over the whole matrix.
struct Affinities {
    std::vector<int> row_starts;
    std::vector<int> columns;
    std::vector<double> values;
};

// Conditional affinities p(j|i) of one point over its nearest neighbours, whose squared
// distances come sorted: a Gaussian whose width gives the wanted perplexity.
void conditional_affinities(const std::vector<std::pair<float, int>>& nearest, int neighbours, double perplexity,
                            double* out) {
    const double target_entropy = std::log(perplexity);
    const double nearest_distance = nearest[0].first;
    double beta = 1, low = 0, high = std::numeric_limits<double>::infinity();
    for (int round = 0; round < kBandwidthRounds; ++round) {
        double sum = 0, weighted = 0;
        for (int k = 0; k < neighbours; ++k) {
            // Distances relative to the nearest one: the same distribution, no underflow.
            const double offset = nearest[k].first - nearest_distance;
            out[k] = std::exp(-beta * offset);
            sum += out[k];
            weighted += out[k] * offset;
        }
        const double entropy = std::log(sum) + beta * weighted / sum;
        for (int k = 0; k < neighbours; ++k) out[k] /= sum;
        if (std::abs(entropy - target_entropy) < kEntropyTolerance) return;
        if (entropy > target_entropy) {
            low = beta;
            beta = std::isinf(high) ? beta * 2 : (low + high) / 2;
        } else {
            high = beta;
            beta = (low + high) / 2;
        }
    }
}

// The affinities, or nothing when go_on, asked between blocks of points, says to stop.
std::optional<Affinities> input_affinities(const std::vector<float>& codes, int dim, int count, double perplexity,
                                           int threads, const std::function<bool()>& go_on) {
    const int neighbours = static_cast<int>(kNeighboursPerPerplexity * perplexity);
    std::vector<int> neighbour_of(static_cast<size_t>(count) * neighbours);
    std::vector<double> conditional(neighbour_of.size());
    for (int block = 0; block < count; block += kAffinityBlock) {
        if (!go_on()) return std::nullopt;
        const int block_end = std::min(count, block + kAffinityBlock);
        parallel_ranges(block_end - block, threads, [&](int begin, int end) {
            std::vector<std::pair<float, int>> distances(count);
            for (int i = block + begin; i < block + end; ++i) {
                const float* a = codes.data() + static_cast<size_t>(i) * dim;
                for (int j = 0; j < count; ++j) {
                    const float* b = codes.data() + static_cast<size_t>(j) * dim;
                    float squared = 0;
                    for (int t = 0; t < dim; ++t) squared += (a[t] - b[t]) * (a[t] - b[t]);
                    distances[j] = {squared, j};
                }
                distances[i].first = std::numeric_limits<float>::infinity();
                std::partial_sort(distances.begin(), distances.begin() + neighbours, distances.end());
                conditional_affinities(distances, neighbours, perplexity, &conditional[static_cast<size_t>(i) * neighbours]);
                for (int k = 0; k < neighbours; ++k) neighbour_of[static_cast<size_t>(i) * neighbours + k] = distances[k].second;
            }
        });
    }

    // Symmetrise: P_ij = (p(j|i) + p(i|j)) / 2n, entries gathered per row and merged.
    struct Entry {
        int row, column;
        double value;
    };
    std::vector<Entry> entries;
    entries.reserve(2 * neighbour_of.size());
    for (int i = 0; i < count; ++i)
        for (int k = 0; k < neighbours; ++k) {
            const size_t at = static_cast<size_t>(i) * neighbours + k;
            const double half = conditional[at] / (2.0 * count);
            entries.push_back({i, neighbour_of[at], half});
            entries.push_back({neighbour_of[at], i, half});
        }
    std::sort(entries.begin(), entries.end(),
              [](const Entry& a, const Entry& b) { return a.row != b.row ? a.row < b.row : a.column < b.column; });
    Affinities p;
    p.row_starts.assign(count + 1, 0);
    for (size_t e = 0; e < entries.size(); ++e) {
        if (e > 0 && entries[e].row == entries[e - 1].row && entries[e].column == entries[e - 1].column) {
            p.values.back() += entries[e].value;
            continue;
        }
        p.columns.push_back(entries[e].column);
        p.values.push_back(entries[e].value);
        ++p.row_starts[entries[e].row + 1];
    }
    std::partial_sum(p.row_starts.begin(), p.row_starts.end(), p.row_starts.begin());
    return p;
}

// A quadtree over the map's points, each cell knowing its points' count and centre of mass,
// so that a far cell's repulsion is computed as one point's (Barnes-Hut).
class QuadTree {
public:
    QuadTree(const std::vector<double>& points, int count) : points_(points), order_(count) {
        std::iota(order_.begin(), order_.end(), 0);
        double min_x = points[0], max_x = points[0], min_y = points[1], max_y = points[1];
        for (int i = 0; i < count; ++i) {
            min_x = std::min(min_x, points[2 * i]);
            max_x = std::max(max_x, points[2 * i]);
            min_y = std::min(min_y, points[2 * i + 1]);
            max_y = std::max(max_y, points[2 * i + 1]);
        }
        cells_.push_back({(min_x + max_x) / 2, (min_y + max_y) / 2, std::max(max_x - min_x, max_y - min_y) / 2 + 1e-9});
        split(0, 0, count, 0);
    }

    // Adds point i's repulsion sum_j w_ij^2 (y_i - y_j) to force and sum_j w_ij to normaliser,
    // with w_ij = 1 / (1 + |y_i - y_j|^2), far cells taken whole when their width is below
    // theta times their distance.
    void repulsion(int i, double theta, double force[2], double& normaliser) const {
        visit(0, i, theta * theta, force, normaliser);
    }

private:
    struct Cell {
        double centre_x, centre_y, half_width;
        double mass_x = 0, mass_y = 0;
        int count = 0;
        int first_child = -1;  // its four children follow each other; -1: a leaf
        int begin = 0, end = 0;  // a leaf's points in order_
    };

    void split(int cell, int begin, int end, int depth) {
        double mass_x = 0, mass_y = 0;
        for (int k = begin; k < end; ++k) {
            mass_x += points_[2 * order_[k]];
            mass_y += points_[2 * order_[k] + 1];
        }
        const int count = end - begin;
        Cell& here = cells_[cell];
        here.count = count;
        here.begin = begin;
        here.end = end;
        if (count > 0) {
            here.mass_x = mass_x / count;
            here.mass_y = mass_y / count;
        }
        if (count <= 1 || depth == kMaxDepth) return;
        const double cx = here.centre_x, cy = here.centre_y, half = here.half_width / 2;
        // Quadrants in the order (low y: low x, high x), (high y: low x, high x).
        auto* first = order_.data() + begin;
        auto* last = order_.data() + end;
        auto* middle_y = std::partition(first, last, [&](int p) { return points_[2 * p + 1] < cy; });
        auto* middle_low = std::partition(first, middle_y, [&](int p) { return points_[2 * p] < cx; });
        auto* middle_high = std::partition(middle_y, last, [&](int p) { return points_[2 * p] < cx; });
        const int bounds[5] = {begin, static_cast<int>(middle_low - order_.data()), static_cast<int>(middle_y - order_.data()),
                               static_cast<int>(middle_high - order_.data()), end};
        const int first_child = static_cast<int>(cells_.size());
        cells_[cell].first_child = first_child;
        for (int q = 0; q < 4; ++q)
            cells_.push_back({cx + (q % 2 ? half : -half), cy + (q / 2 ? half : -half), half});
        for (int q = 0; q < 4; ++q) split(first_child + q, bounds[q], bounds[q + 1], depth + 1);
    }

    void visit(int cell, int i, double theta_squared, double force[2], double& normaliser) const {
        const Cell& here = cells_[cell];
        if (here.count == 0) return;
        const double x = points_[2 * i], y = points_[2 * i + 1];
        if (here.first_child < 0) {
            for (int k = here.begin; k < here.end; ++k) {
                const int j = order_[k];
                if (j == i) continue;
                add(x - points_[2 * j], y - points_[2 * j + 1], 1, force, normaliser);
            }
            return;
        }
        const double dx = x - here.mass_x, dy = y - here.mass_y;
        const double width = 2 * here.half_width;
        if (width * width < theta_squared * (dx * dx + dy * dy)) {
            add(dx, dy, here.count, force, normaliser);
            return;
        }
        for (int q = 0; q < 4; ++q) visit(here.first_child + q, i, theta_squared, force, normaliser);
    }

    static void add(double dx, double dy, int count, double force[2], double& normaliser) {
        const double w = 1 / (1 + dx * dx + dy * dy);
        normaliser += count * w;
        force[0] += count * w * w * dx;
        force[1] += count * w * w * dy;
    }

    const std::vector<double>& points_;
    std::vector<int> order_;
    std::vector<Cell> cells_;
};

// Start from the PCA map: deterministic, and it keeps the global layout (Kobak & Linderman 2021).
std::vector<double> pca_start(const std::vector<float>& codes, int dim, int count) {
    std::vector<double> points(2 * static_cast<size_t>(count));
    const std::vector<float> pca = principal_components_2d(codes, dim);
    double spread = 0;
    for (int i = 0; i < count; ++i) spread += pca[2 * i] * pca[2 * i] / count;
    const double scale = kStartSpread / std::max(1e-12, std::sqrt(spread));
    for (size_t c = 0; c < points.size(); ++c) points[c] = pca[c] * scale;
    return points;
}

// Moves the map's mean back to the origin after a step, so that the map cannot drift away.
void recentre(std::vector<double>& points, int count) {
    double mean_x = 0, mean_y = 0;
    for (int i = 0; i < count; ++i) {
        mean_x += points[2 * i] / count;
        mean_y += points[2 * i + 1] / count;
    }
    for (int i = 0; i < count; ++i) {
        points[2 * i] -= mean_x;
        points[2 * i + 1] -= mean_y;
    }
}

}  // namespace

std::vector<float> tsne_2d(const std::vector<float>& codes, int dim, const TsneParams& params, const TsneProgress& progress) {
    if (dim <= 0 || codes.size() % dim != 0 || !(params.perplexity >= 1))
        throw Error("t-SNE needs codes of one length and a perplexity of at least 1");
    if (!(params.exaggeration >= 1) || !std::isfinite(params.exaggeration) || !(params.theta >= 0) ||
        params.iterations < 0 || params.exaggeration_iterations < 0)
        throw Error("t-SNE needs an exaggeration of at least 1, a theta of at least 0 and no negative iteration count");
    const int count = static_cast<int>(codes.size() / dim);
    // In double before the cast: a huge perplexity must not overflow the count.
    const double needed = std::floor(kNeighboursPerPerplexity * params.perplexity) + 2;
    if (count < needed)
        throw Error("t-SNE with perplexity " + std::to_string(params.perplexity) + " needs at least " +
                    std::to_string(static_cast<long long>(std::min(needed, 1e18))) + " codes, not " +
                    std::to_string(count));
    const int threads = params.threads > 0 ? params.threads : std::max(1u, std::thread::hardware_concurrency());
    if (progress && !progress(0, params.iterations)) return {};

    const std::optional<Affinities> affinities =
        input_affinities(codes, dim, count, params.perplexity, threads,
                         [&] { return !progress || progress(0, params.iterations); });
    if (!affinities) return {};
    const Affinities& p = *affinities;

    std::vector<double> points = pca_start(codes, dim, count);

    std::vector<double> attraction(points.size()), repulsion(points.size()), normalisers(count);
    std::vector<double> update(points.size(), 0.0), gains(points.size(), 1.0);
    const double learning_rate = std::max(kMinLearningRate, count / params.exaggeration);
    for (int iteration = 0; iteration < params.iterations; ++iteration) {
        const bool early = iteration < params.exaggeration_iterations;
        const double exaggeration = early ? params.exaggeration : 1.0;
        const double momentum = early ? kEarlyMomentum : kLateMomentum;

        // Forces: attraction along P's entries, repulsion from every point through the tree.
        const QuadTree tree(points, count);
        parallel_ranges(count, threads, [&](int begin, int end) {
            for (int i = begin; i < end; ++i) {
                normalisers[i] = 0;
                repulsion[2 * i] = repulsion[2 * i + 1] = 0;
                tree.repulsion(i, params.theta, &repulsion[2 * i], normalisers[i]);
                double pull_x = 0, pull_y = 0;
                for (int e = p.row_starts[i]; e < p.row_starts[i + 1]; ++e) {
                    const int j = p.columns[e];
                    const double dx = points[2 * i] - points[2 * j], dy = points[2 * i + 1] - points[2 * j + 1];
                    const double strength = p.values[e] / (1 + dx * dx + dy * dy);
                    pull_x += strength * dx;
                    pull_y += strength * dy;
                }
                attraction[2 * i] = pull_x;
                attraction[2 * i + 1] = pull_y;
            }
        });
        const double normaliser = std::accumulate(normalisers.begin(), normalisers.end(), 0.0);

        // Step: gradient exaggeration * attraction - repulsion / Z, with momentum and gains.
        for (size_t c = 0; c < points.size(); ++c) {
            const double gradient = exaggeration * attraction[c] - repulsion[c] / normaliser;
            gains[c] = (gradient > 0) != (update[c] > 0) ? gains[c] + kGainUp : std::max(kMinGain, gains[c] * kGainDown);
            update[c] = momentum * update[c] - learning_rate * gains[c] * gradient;
            points[c] += update[c];
        }
        recentre(points, count);
        if (progress && (iteration + 1) % kProgressEvery == 0 && !progress(iteration + 1, params.iterations)) return {};
    }
    return std::vector<float>(points.begin(), points.end());
}

}  // namespace oddigit
