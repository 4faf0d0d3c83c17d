#pragma once
// The score CSV: one writer for the command line (oddigit-cli score) and the app (Explore's
// export). One row per image, columns
//   index,score,flagged,channel,stroke_ratio,shape_ratio,pixel_residual,feature_residual,
//   not_digit,feature_density,realness,reader,best_digit,validation_percentile,verdict,blamed_stroke,
//   source
// then the caller's extra columns. best_digit is the likeliest normal class (ImageScore::best_class;
// the column keeps its first name for the scripts that read it). channel is the verdict's (oddigit/verdict.h): "stroke",
// "shape" or empty; blamed_stroke counts from 1 and is empty for a scan. Numbers carry enough
// digits to read back the same float; text is quoted where RFC 4180 asks.
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "oddigit/model.h"
#include "oddigit/verdict.h"

namespace oddigit {

struct ScoreRow {
    int64_t index = 0;
    ScoreFigures figures;
    // False in search mode, whose loss has no calibration: flagged, channel, the ratios, the
    // percentile and the verdict are left empty.
    bool calibrated = true;
    double percentile = 0;   // among the images of the calibration it was measured against
    Verdict verdict;
    int blamed_stroke = -1;  // the outlined stroke of a drawing (0-based); -1 for none
    std::string source;      // the file, or "file#index" within an IDX file
    std::vector<std::string> extra;  // one value per extra column
};

class ScoreCsvWriter {
public:
    // Writes the header, extra_columns last.
    ScoreCsvWriter(std::ostream& out, const ModelInfo& info, std::vector<std::string> extra_columns = {});
    void write(const ScoreRow& row);

private:
    std::ostream& out_;
    const ModelInfo& info_;
    size_t extra_columns_;
};

// A CSV field: quoted, with its quotes doubled, when it holds a comma, a quote or a line break.
std::string csv_field(const std::string& text);

}  // namespace oddigit
