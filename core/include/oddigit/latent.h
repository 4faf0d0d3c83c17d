#pragma once
// Maps of the latent space.
#include <cstdint>
#include <functional>
#include <vector>

namespace oddigit {

// Projects latent codes (dim floats each) onto their first two principal components.
// Returns 2 floats per code. Throws Error when the length is not a multiple of dim or
// there are fewer than two codes.
std::vector<float> principal_components_2d(const std::vector<float>& codes, int dim);

// t-SNE (van der Maaten 2014): Barnes-Hut gradients on exact nearest-neighbour affinities,
// started from the PCA map, with the usual early exaggeration, momentum and gains.
struct TsneParams {
    double perplexity = 30;        // effective neighbours per point, at least 1; 3x this are kept
    int exaggeration_iterations = 250;  // clusters form while attraction is exaggerated
    double exaggeration = 12;      // at least 1 (1: none)
    int iterations = 750;          // in all, the exaggerated ones included
    double theta = 0.5;            // Barnes-Hut accuracy: a cell this small for its distance is one point
    int threads = 0;               // 0: every core
};

// Called every few iterations with (done, total); return false to stop early.
using TsneProgress = std::function<bool(int done, int total)>;

// Embeds latent codes (dim floats each) in 2-D so that neighbours stay neighbours: the ten
// digits of MNIST come out as separate clusters where PCA shows one blob. Deterministic for
// given codes and params. Returns 2 floats per code, or an empty vector when progress asked
// to stop. Throws Error when the length is not a multiple of dim, a parameter is outside its
// range (NaN included), or there are fewer than 3 * perplexity + 2 codes.
std::vector<float> tsne_2d(const std::vector<float>& codes, int dim, const TsneParams& params = {},
                           const TsneProgress& progress = {});

// Indices of the k codes nearest (Euclidean) to code `query`, nearest first, itself excluded.
std::vector<int> nearest_codes(const std::vector<float>& codes, int dim, int query, int k);

}  // namespace oddigit
