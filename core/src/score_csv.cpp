#include "oddigit/score_csv.h"

#include <iomanip>
#include <limits>

#include "oddigit/error.h"

namespace oddigit {

ScoreCsvWriter::ScoreCsvWriter(std::ostream& out, const ModelInfo& info, std::vector<std::string> extra_columns)
    : out_(out), info_(info), extra_columns_(extra_columns.size()) {
    // Enough digits that a ratio just under 1 never reads as 1.
    out_ << std::setprecision(std::numeric_limits<float>::max_digits10);
    out_ << "index,score,flagged,channel,stroke_ratio,shape_ratio,pixel_residual,feature_residual,not_digit,"
            "feature_density,realness,reader,best_digit,validation_percentile,verdict,blamed_stroke,source";
    for (const std::string& column : extra_columns) out_ << ',' << csv_field(column);
    out_ << '\n';
}

void ScoreCsvWriter::write(const ScoreRow& row) {
    if (row.extra.size() != extra_columns_) throw Error("a score CSV row has another number of extra columns than its header");
    const ScoreFigures& s = row.figures;
    out_ << row.index << ',' << s.score << ',';
    if (row.calibrated)
        out_ << (flagged(s) ? 1 : 0) << ',' << channel_name(row.verdict.channel) << ',' << s.stroke_ratio << ','
             << s.shape_ratio << ',';
    else
        out_ << ",,,,";
    out_ << s.pixel_residual << ',' << s.feature_residual << ',' << s.not_digit << ',' << s.feature_density << ','
         << s.realness << ',' << s.reader << ',' << s.best_class << ',';
    if (row.calibrated) out_ << row.percentile;
    out_ << ',';
    if (row.calibrated) out_ << csv_field(verdict_text(info_, row.verdict));
    out_ << ',';
    if (row.blamed_stroke >= 0) out_ << row.blamed_stroke + 1;
    out_ << ',' << csv_field(row.source);
    for (const std::string& value : row.extra) out_ << ',' << csv_field(value);
    out_ << '\n';
}

std::string csv_field(const std::string& text) {
    if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
    std::string quoted = "\"";
    for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    return quoted + "\"";
}

}  // namespace oddigit
