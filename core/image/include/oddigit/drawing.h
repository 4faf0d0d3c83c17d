#pragma once
// A drawing: pen strokes on the app's square paper (over an opened image, for a scan), the one
// renderer that turns it into pixels (for the screen, the model, the canvas calibration and the
// drawn protocol), its file format, and judge_drawing(): what the model says of it, stroke by
// stroke, by the verdict rule of oddigit/verdict.h.
#include <array>
#include <string>
#include <vector>

#include "oddigit/image.h"
#include "oddigit/model.h"
#include "oddigit/preprocess.h"
#include "oddigit/verdict.h"

namespace oddigit {

// Side of the paper, in paper pixels: the unit of every stroke's coordinates and width.
constexpr int kPaperSide = 280;
// The canvas's pen before the user picks another, in paper pixels.
constexpr float kDefaultPenWidth = 18;

struct PenStroke {
    std::vector<std::array<float, 2>> points;  // (x, y) on the paper, y down; a single point is a dot
    float width = kDefaultPenWidth;            // pen diameter
};

struct Drawing {
    std::vector<PenStroke> strokes;
    // An opened image under the strokes, fitted into the paper: the drawing is then a scan
    // (measured against the MNIST calibration, its strokes not judged one by one). Empty: paper.
    GrayImage background;

    bool scanned() const { return !background.pixels.empty(); }
};

// The drawing as pixels: the background fitted into the paper (aspect kept, centred), then
// black ink with a round pen (round ends and joints, anti-aliased) on it, on white paper of
// kPaperSide * scale pixels a side (the screen renders at its own resolution, the model at
// 1). skip_stroke: a stroke left out, -1 for none. Throws Error for a scale outside (0, 64].
GrayImage render_drawing(const Drawing& drawing, float scale = 1, int skip_stroke = -1);

// Draws the stroke onto paper rendered at scale, from its point first on: the segments that
// end at those points (a stroke of one point is a dot). render_drawing() draws each stroke from
// its first point; the canvas adds a moving pen's new points this way, to the same pixels as
// long as the stroke is never drawn as a lone dot first (a click is a stroke of two points).
// Throws Error for a scale outside (0, 64], paper of another size than that scale's, or a pen
// too wide to draw at that scale (over 32767 pixels; a file's pen is at most the paper's side).
void draw_stroke(GrayImage& paper, const PenStroke& stroke, float scale, size_t first = 0);

// What the model sees of the drawing (less skip_stroke): rendered at scale 1 and put through
// the MNIST preprocessing (oddigit/preprocess.h); placement receives where the paper landed.
Image28 drawing_input(const Drawing& drawing, int skip_stroke = -1, MnistPlacement* placement = nullptr);

// A drawing file (JSON), written by the app's File > Save Strokes and read by File > Open and
// oddigit-cli score --strokes:
//   {"paper": 280, "pen": 18, "strokes": [[[x, y], [x, y], ...], ...]}
// coordinates and pen in paper pixels, y down. A stroke drawn with another pen than the file's
// is written {"pen": 12, "points": [[x, y], ...]}. A file of another paper size is scaled to
// kPaperSide on reading. read_drawing() throws Error naming the file and what is wrong with it
// (unreadable, not JSON, a missing or malformed field, a number that is not finite or out of
// range, a pen wider than the paper, too many points).
Drawing read_drawing(const std::string& path);
// Writes the strokes atomically. Throws Error when the file cannot be written, and for a
// drawing over an opened image (its image is no stroke).
void write_drawing(const std::string& path, const Drawing& drawing);
// The drawing files at path: the file itself, or a folder's .json files in name order.
// Throws Error when path does not exist or the folder holds none.
std::vector<std::string> drawing_files(const std::string& path);

// One stroke of a judged drawing.
struct StrokeJudgement {
    double share = 0;      // its share of the blame (oddigit/verdict.h)
    ScoreFigures without;  // the drawing scored without it
};

struct DrawingJudgement {
    bool blank = true;                    // no ink: nothing judged, the rest is empty
    InputKind input = InputKind::Drawn;   // Scanned for a drawing over an opened image
    Image28 model_input{};                // the 28x28 image scored
    MnistPlacement placement;             // where the paper landed in it
    ImageScore score;                     // against the calibration of the input's kind
    Verdict verdict;
    std::string verdict_text;             // verdict_text() of the verdict: what the app shows
    int outlined_stroke = -1;             // the stroke most to blame (StrokeBlame::outlined)
    std::vector<StrokeJudgement> strokes; // per stroke, for drawings of two strokes or more
    // Where the score sits among the scores of the images its calibration was set on: the
    // held-out digits redrawn as drawings (canvas), or the held-out digits as scanned (MNIST).
    double percentile = 0;
};

// Scores the drawing, and for two strokes or more each stroke by the drawing without it, in
// one batch, and gives the verdict. Not safe to call from two threads on one model (as
// AnomalyModel::score()). Throws Error as the model's scoring does.
DrawingJudgement judge_drawing(const AnomalyModel& model, const Drawing& drawing);

}  // namespace oddigit
