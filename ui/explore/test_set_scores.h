#pragma once
// What Explore's background pass computes for the MNIST test set.
#include <cstddef>
#include <vector>

// Everything the background pass computes for the test set.
struct TestSetScores {
    std::vector<float> scores;        // the larger channel ratio
    std::vector<float> strokeRatios;  // each channel's ratio to its threshold
    std::vector<float> shapeRatios;
    std::vector<int> bestDigits;  // the digit head's best match; -1 for a model without one
    std::vector<float> codes;     // latent codes, latent_dim each
    std::vector<float> pca;       // 2-D maps of the codes, 2 floats per image
    std::vector<float> tsne;      // computed on demand: empty until then
    int latentDim = 0;

    // Whether image i's score is led by its shape channel, as oddigit::leading_channel() says
    // of an ImageScore (the pass keeps only the ratios).
    bool shapeLeads(size_t i) const { return shapeRatios[i] > strokeRatios[i]; }
};
