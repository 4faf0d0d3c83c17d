// The score CSV: one header, one row per image, text quoted, search-mode rows left blank where
// there is no calibration.
#include "oddigit/score_csv.h"

#include <gtest/gtest.h>

#include <sstream>

#include "oddigit/error.h"

namespace oddigit {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

TEST(ScoreCsv, WritesTheHeaderTheVerdictAndQuotedText) {
    ModelInfo info;
    info.knows_classes = true;
    std::ostringstream out;
    ScoreCsvWriter csv(out, info, {"label"});
    ScoreRow row;
    row.index = 3;
    row.figures.score = row.figures.shape_ratio = 1.25f;
    row.figures.stroke_ratio = 0.999999881f;  // just under 1: written so that it reads back under 1
    row.figures.best_class = 4;
    row.percentile = 0.5;
    row.verdict = judge(row.figures);
    row.blamed_stroke = 1;
    row.source = "a, \"quoted\" name.json";
    row.extra = {"7"};
    csv.write(row);
    row.calibrated = false;
    row.blamed_stroke = -1;
    row.extra = {"8"};
    csv.write(row);
    const std::vector<std::string> lines = lines_of(out.str());
    ASSERT_EQ(lines.size(), 3u);
    EXPECT_EQ(lines[0], "index,score,flagged,channel,stroke_ratio,shape_ratio,pixel_residual,feature_residual,not_digit,"
                        "feature_density,realness,reader,best_digit,validation_percentile,verdict,blamed_stroke,source,label");
    EXPECT_EQ(lines[1], "3,1.25,1,shape,0.999999881,1.25,0,0,0,0,0,0,4,0.5,Not a digit (closest: 4),2,"
                        "\"a, \"\"quoted\"\" name.json\",7");
    EXPECT_EQ(lines[2], "3,1.25,,,,,0,0,0,0,0,0,4,,,,\"a, \"\"quoted\"\" name.json\",8");
    row.extra = {};
    EXPECT_THROW(csv.write(row), Error);
}

}  // namespace
}  // namespace oddigit
