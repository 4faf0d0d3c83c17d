#pragma once
// Drawings written out for the tests, in paper pixels (the 280-pixel paper, y down), each
// stroke a polyline: what a user draws with the mouse. The verdict tests of the engine, the
// command line and the app all draw these.
#include <array>
#include <string>
#include <vector>

namespace oddigit::test {

using Polyline = std::vector<std::array<float, 2>>;

struct TestDrawing {
    std::string name;
    std::vector<Polyline> strokes;
};

// A seven of two strokes, and the same with a dense zigzag under it: ink no digit has.
inline const Polyline kSevenTop = {{80, 60}, {200, 60}};
inline const Polyline kSevenStem = {{200, 60}, {160, 140}, {125, 225}};
inline const Polyline kZigzag = {{40, 250}, {70, 215}, {90, 265}, {115, 215}, {140, 265},
                                 {165, 215}, {190, 265}, {215, 215}, {240, 265}};
inline const TestDrawing kSeven = {"seven", {kSevenTop, kSevenStem}};
inline const TestDrawing kZigzagSeven = {"seven-zigzag", {kSevenTop, kSevenStem, kZigzag}};

// Two drawings each of A, H, K, M and X, drawn in different strokes and orders.
inline const std::vector<TestDrawing> kLetters = {
    {"A1", {{{70, 240}, {140, 40}}, {{140, 40}, {210, 240}}, {{95, 160}, {185, 160}}}},
    {"A2", {{{60, 230}, {135, 50}, {215, 235}}, {{90, 150}, {180, 150}}}},
    {"H1", {{{80, 50}, {80, 230}}, {{200, 50}, {200, 230}}, {{80, 140}, {200, 140}}}},
    {"H2", {{{90, 60}, {85, 220}}, {{85, 135}, {195, 130}}, {{195, 55}, {200, 225}}}},
    {"K1", {{{90, 40}, {90, 240}}, {{200, 50}, {92, 145}, {205, 235}}}},
    {"K2", {{{85, 50}, {85, 230}}, {{190, 45}, {90, 140}}, {{110, 125}, {200, 230}}}},
    {"M1", {{{60, 240}, {80, 50}, {140, 170}, {200, 50}, {220, 240}}}},
    {"M2", {{{70, 230}, {70, 50}}, {{70, 50}, {140, 160}, {210, 50}}, {{210, 50}, {210, 230}}}},
    {"X1", {{{70, 50}, {210, 230}}, {{210, 50}, {70, 230}}}},
    {"X2", {{{80, 60}, {200, 220}}, {{190, 50}, {90, 230}}}},
};

}  // namespace oddigit::test
