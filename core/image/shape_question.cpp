#include "oddigit/shape_question.h"

#include <map>

#include "oddigit/error.h"
#include "oddigit/metrics.h"
#include "oddigit/rescan.h"
#include "oddigit/score.h"

namespace oddigit {

namespace {

struct Scored {
    std::vector<float> shape;
    std::vector<float> score;
    double flagged = 0;
};

Scored scored(const AnomalyModel& model, const ImageBatch& images) {
    Scored result;
    for (const ImageScore& s : model.score(images)) {
        result.shape.push_back(s.shape_ratio);
        result.score.push_back(s.score);
        result.flagged += flagged(s) / static_cast<double>(images.size());
    }
    return result;
}

// AUROC of the anomalies' values against the digits'.
double auroc_of(const std::vector<float>& digits, const std::vector<float>& anomalies) {
    std::vector<float> values = digits;
    values.insert(values.end(), anomalies.begin(), anomalies.end());
    std::vector<bool> anomalous(digits.size(), false);
    anomalous.resize(values.size(), true);
    return auroc(values, anomalous);
}

}  // namespace

ShapeQuestionReport run_shape_question(const AnomalyModel& model, const ImageBatch& held_out, const ImageBatch& characters,
                                       const std::vector<std::string>& names, const ImageBatch& digits) {
    if (held_out.empty() || characters.empty()) throw Error("the shape question needs held-out digits and non-digits");
    if (static_cast<int64_t>(names.size()) != characters.size()) throw Error("the shape question needs a name per non-digit");
    ShapeQuestionReport report;
    report.held_out = static_cast<int>(held_out.size());
    report.characters = static_cast<int>(characters.size());
    const Scored plain = scored(model, held_out), others = scored(model, characters);
    report.held_out_flagged = plain.flagged;
    report.characters_flagged = others.flagged;
    report.shape_auroc_vs_plain = auroc_of(plain.shape, others.shape);
    if (!digits.empty()) {
        const Scored real = scored(model, digits);
        report.digits = static_cast<int>(digits.size());
        report.shape_auroc_vs_digits = auroc_of(real.shape, others.shape);
        report.fused_auroc_vs_digits = auroc_of(real.score, others.score);
        report.digits_flagged = real.flagged;
    }
    for (Rescan rescan : all_rescans()) {
        const Scored variant = scored(model, rescanned(held_out, rescan));
        report.pipelines.push_back({rescan_name(rescan), report.held_out, -1, variant.flagged});
        if (rescan != Rescan::Redrawn) continue;
        report.shape_auroc_vs_redrawn = auroc_of(variant.shape, others.shape);
        report.fused_auroc_vs_redrawn = auroc_of(variant.score, others.score);
        std::map<std::string, Scored> groups;
        for (size_t i = 0; i < names.size(); ++i) {
            Scored& group = groups[names[i].substr(0, names[i].find('-'))];
            group.shape.push_back(others.shape[i]);
            group.flagged += flagged(others.score[i], kFlagRatio);
        }
        for (const auto& [name, group] : groups)
            report.groups.push_back({name, static_cast<int>(group.shape.size()), auroc_of(variant.shape, group.shape),
                                     group.flagged / group.shape.size()});
    }
    return report;
}

}  // namespace oddigit
