#pragma once
// What Explore's background pass computes for the MNIST test set.
#include <cstddef>
#include <vector>

#include "oddigit/model.h"
#include "oddigit/score.h"

// Everything the background pass computes for the test set.
struct TestSetScores {
    std::vector<oddigit::ScoreFigures> figures;  // each image's score, channel ratios and terms
    std::vector<float> scores;        // figures[i].score, for the plots and the gallery's order
    std::vector<float> codes;     // latent codes, latent_dim each
    std::vector<float> pca;       // 2-D maps of the codes, 2 floats per image
    std::vector<float> tsne;      // computed on demand: empty until then
    int latentDim = 0;

    // Whether image i's score is led by its shape channel.
    bool shapeLeads(size_t i) const { return oddigit::leading_channel(figures[i]) == oddigit::Channel::Shape; }
};
