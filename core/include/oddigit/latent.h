#pragma once
// Maps of the latent space.
#include <vector>

namespace oddigit {

// Projects latent codes (dim floats each) onto their first two principal components.
// Returns 2 floats per code. Throws Error when the length is not a multiple of dim or
// there are fewer than two codes.
std::vector<float> principal_components_2d(const std::vector<float>& codes, int dim);

// Indices of the k codes nearest (Euclidean) to code `query`, nearest first, itself excluded.
std::vector<int> nearest_codes(const std::vector<float>& codes, int dim, int query, int k);

}  // namespace oddigit
