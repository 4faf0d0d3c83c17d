#include "oddigit/protocol.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "oddigit/error.h"
#include "oddigit/metrics.h"
#include "oddigit/runtime.h"
#include "oddigit/score.h"
#include "oddigit/strokes.h"

namespace oddigit {

TestEvaluation evaluate(const AnomalyModel& model, const LabelledImages& test, const ScoreParams& score_params) {
    std::vector<bool> normal_label;
    for (int c = 0; c < model.info().architecture.classes; ++c) normal_label.push_back(model.info().normal_classes.contains(c));
    return evaluate(model, test, normal_label, score_params);
}

std::vector<bool> normal_test_classes(const ModelInfo& info, const std::vector<std::string>& test_class_names) {
    std::vector<std::string> names = test_class_names;
    if (names.empty()) {
        if (!info.normal_classes.names_digits())
            throw Error("this model knows an image folder's classes, not MNIST's digits: test it on a folder of them");
        for (int digit = 0; digit < 10; ++digit) names.push_back(std::to_string(digit));
    }
    std::vector<bool> normal;
    for (const std::string& name : names) {
        int index = -1;
        for (int c = 0; c < info.architecture.classes; ++c)
            if (info.normal_classes.name(c) == name) index = c;
        normal.push_back(index >= 0 && info.normal_classes.contains(index));
    }
    return normal;
}

TestEvaluation evaluate(const AnomalyModel& model, const LabelledImages& test, const std::vector<bool>& normal_label,
                        const ScoreParams& score_params) {
    const int classes = static_cast<int>(normal_label.size());
    for (uint8_t label : test.labels)
        if (label >= classes) throw Error("a test image is labelled " + std::to_string(label) + ", beyond its " +
                                          std::to_string(classes) + " classes");
    TestEvaluation evaluation;
    evaluation.scores = model.score_values(test.images, score_params);
    // AnoGAN's search loss has no threshold: only the encoder's score is calibrated.
    const bool calibrated = score_params.mode == ScoreMode::Encoder;
    std::vector<bool> anomalous(test.labels.size());
    std::vector<double> sum(classes, 0.0);
    std::vector<int64_t> count(classes, 0);
    int64_t anomalies = 0, anomalies_flagged = 0, normals_flagged = 0;
    for (size_t i = 0; i < test.labels.size(); ++i) {
        const int label = test.labels[i];
        anomalous[i] = !normal_label[label];
        const bool flagged = calibrated && oddigit::flagged(evaluation.scores[i], kFlagRatio);
        anomalies += anomalous[i];
        anomalies_flagged += anomalous[i] && flagged;
        normals_flagged += !anomalous[i] && flagged;
        sum[label] += evaluation.scores[i];
        ++count[label];
    }
    const int64_t normals = static_cast<int64_t>(test.labels.size()) - anomalies;
    if (anomalies > 0 && normals > 0) evaluation.auroc = auroc(evaluation.scores, anomalous);
    evaluation.true_positive_rate = !calibrated ? -1.0 : anomalies ? static_cast<double>(anomalies_flagged) / anomalies : 0.0;
    evaluation.false_positive_rate = !calibrated ? -1.0 : normals ? static_cast<double>(normals_flagged) / normals : 0.0;
    for (int c = 0; c < classes; ++c) evaluation.mean_score_per_class.push_back(count[c] ? sum[c] / count[c] : 0.0);
    evaluation.auroc_per_class.assign(classes, -1.0);
    std::vector<float> normal_scores;
    for (size_t i = 0; i < test.labels.size(); ++i)
        if (!anomalous[i]) normal_scores.push_back(evaluation.scores[i]);
    for (int c = 0; c < classes; ++c) {
        if (normal_label[c] || count[c] == 0 || normals == 0) continue;
        std::vector<float> scores = normal_scores;
        for (size_t i = 0; i < test.labels.size(); ++i)
            if (test.labels[i] == c) scores.push_back(evaluation.scores[i]);
        std::vector<bool> of_class(scores.size(), true);
        std::fill_n(of_class.begin(), normal_scores.size(), false);
        evaluation.auroc_per_class[c] = auroc(scores, of_class);
    }
    return evaluation;
}

namespace {

// A model of the normal classes of data, validation_fraction of them held out for the
// threshold, with nothing written to disk.
struct NormalModel {
    AnomalyModel model;
    int64_t train_images = 0;
};

NormalModel train_normal(const LabelledImages& data, const ClassSet& normal, TrainParams params, uint64_t seed,
                         double validation_fraction, const TrainCallbacks& callbacks = {}) {
    params.normal_classes = normal;
    params.seed = seed;
    params.output_path.clear();
    params.resume = false;
    const NormalSplit split = split_normal(data, normal, validation_fraction, seed);
    return {train(split.train, split.validation, params, callbacks).model, split.train.images.size()};
}

// A model of one class from the training set (a digit of MNIST's, or of the classes of
// params.normal_classes).
AnomalyModel train_one_class(const MnistSet& data, int index, const TrainParams& params, uint64_t seed,
                             double validation_fraction, const TrainCallbacks& callbacks = {}) {
    return train_normal(data.train, params.normal_classes.only(index), params, seed, validation_fraction, callbacks).model;
}

// GANomaly's split for one anomaly digit: the normal images of both MNIST sets pooled and
// shuffled, test_fraction of them to test and the rest to learn from; every image of the
// anomaly digit, from both sets, goes to test.
struct PooledSplit {
    ClassSet normal;
    LabelledImages learn;
    LabelledImages test;
    int64_t test_normal_images = 0;
};

PooledSplit pooled_split(const MnistSet& mnist, int anomaly, double test_fraction, uint64_t seed) {
    PooledSplit split;
    for (int d = 0; d < 10; ++d)
        if (d != anomaly) split.normal.insert(d);
    std::vector<std::pair<const LabelledImages*, int64_t>> normal_images;
    for (const LabelledImages* set : {&mnist.train, &mnist.test}) {
        for (int64_t i = 0; i < set->images.size(); ++i) {
            if (split.normal.contains(set->labels[i])) {
                normal_images.emplace_back(set, i);
            } else {
                split.test.images.append(set->images.image(i));
                split.test.labels.push_back(set->labels[i]);
            }
        }
    }
    std::shuffle(normal_images.begin(), normal_images.end(), std::mt19937_64(seed));
    split.test_normal_images = std::llround(test_fraction * static_cast<double>(normal_images.size()));
    if (split.test_normal_images == 0 || split.test_normal_images == static_cast<int64_t>(normal_images.size()))
        throw Error("the test fraction leaves no normal image on one side");
    for (size_t n = 0; n < normal_images.size(); ++n) {
        const auto [set, i] = normal_images[n];
        LabelledImages& side = static_cast<int64_t>(n) < split.test_normal_images ? split.test : split.learn;
        side.images.append(set->images.image(i));
        side.labels.push_back(set->labels[i]);
    }
    return split;
}

std::vector<double> class_aurocs(const OneClassReport& report, int class_index) {
    std::vector<double> values;
    for (const OneClassRun& run : report.runs)
        if (run.class_index == class_index) values.push_back(run.auroc);
    return values;
}

// The images mirrored left to right.
ImageBatch mirrored(const ImageBatch& images) {
    ImageBatch result = images;
    for (int64_t n = 0; n < result.size(); ++n)
        for (int row = 0; row < kImageSide; ++row) {
            float* begin = result.image(n) + row * kImageSide;
            std::reverse(begin, begin + kImageSide);
        }
    return result;
}

// AUROC of scores of altered images against the scores of the clean ones.
double auroc_against_clean(const std::vector<float>& clean, const std::vector<float>& altered) {
    std::vector<float> scores = clean;
    scores.insert(scores.end(), altered.begin(), altered.end());
    std::vector<bool> is_altered(clean.size(), false);
    is_altered.resize(scores.size(), true);
    return auroc(scores, is_altered);
}

}  // namespace

double OneClassReport::mean_auroc(int class_index) const {
    const std::vector<double> values = class_aurocs(*this, class_index);
    if (values.empty()) return 0.0;
    double sum = 0;
    for (double v : values) sum += v;
    return sum / values.size();
}

double OneClassReport::std_auroc(int class_index) const {
    const std::vector<double> values = class_aurocs(*this, class_index);
    if (values.size() < 2) return 0.0;
    const double mean = mean_auroc(class_index);
    double squares = 0;
    for (double v : values) squares += (v - mean) * (v - mean);
    return std::sqrt(squares / (values.size() - 1));
}

double OneClassReport::mean_auroc() const {
    std::vector<int> classes;
    for (const OneClassRun& run : runs)
        if (std::find(classes.begin(), classes.end(), run.class_index) == classes.end()) classes.push_back(run.class_index);
    if (classes.empty()) return 0.0;
    double sum = 0;
    for (int c : classes) sum += mean_auroc(c);
    return sum / classes.size();
}

OneClassReport run_one_class(const MnistSet& data, const OneClassParams& params,
                             const std::function<void(const std::string&)>& log, const TrainCallbacks& callbacks) {
    if (params.classes.empty() || params.seeds.empty()) throw Error("the protocol needs at least one class and one seed");
    const Stopwatch start;
    OneClassReport report;
    for (int class_index : params.classes) {
        for (int seed : params.seeds) {
            const Stopwatch run_start;
            const AnomalyModel model = train_one_class(data, class_index, params.train, static_cast<uint64_t>(seed),
                                                       params.validation_fraction, callbacks);
            const TestEvaluation evaluation = evaluate(model, data.test);
            OneClassRun run{class_index, static_cast<uint64_t>(seed), evaluation.auroc, run_start.seconds()};
            report.runs.push_back(run);
            if (log)
                log("class " + params.train.normal_classes.name(class_index) + " seed " + std::to_string(seed) + ": AUROC " +
                    std::to_string(run.auroc) + " (" + std::to_string(static_cast<int>(run.seconds)) + " s)");
        }
    }
    report.seconds = start.seconds();
    return report;
}

double LeaveOneOutReport::mean_auroc() const {
    if (runs.empty()) return 0.0;
    double sum = 0;
    for (const LeaveOneOutRun& run : runs) sum += run.auroc;
    return sum / runs.size();
}

LeaveOneOutReport run_leave_one_out(const MnistSet& mnist, const LeaveOneOutParams& params,
                                    const std::function<void(const std::string&)>& log,
                                    const TrainCallbacks& callbacks) {
    if (params.digits.empty()) throw Error("the protocol needs at least one digit");
    if (!(params.test_fraction > 0 && params.test_fraction < 1)) throw Error("the test fraction must lie between 0 and 1");
    const Stopwatch start;
    LeaveOneOutReport report;
    for (int digit : params.digits) {
        const Stopwatch run_start;
        const PooledSplit split = pooled_split(mnist, digit, params.test_fraction, params.seed);
        const NormalModel trained =
            train_normal(split.learn, split.normal, params.train, params.seed, params.validation_fraction, callbacks);

        LeaveOneOutRun run;
        run.digit = digit;
        run.auroc = evaluate(trained.model, split.test).auroc;
        run.train_images = trained.train_images;
        run.test_normal_images = split.test_normal_images;
        run.test_anomalous_images = split.test.images.size() - split.test_normal_images;
        run.seconds = run_start.seconds();
        report.runs.push_back(run);
        if (log)
            log("anomaly digit " + std::to_string(digit) + ": AUROC " + std::to_string(run.auroc) + " (" +
                std::to_string(static_cast<int>(run.seconds)) + " s)");
    }
    report.seconds = start.seconds();
    return report;
}

std::vector<SearchComparisonRun> run_search_comparison(const MnistSet& mnist, const SearchComparisonParams& params,
                                                       const std::function<void(const std::string&)>& log) {
    const auto milliseconds_per_image = [](const Stopwatch& start, int64_t images) {
        return 1000.0 * start.seconds() / static_cast<double>(images);
    };
    // The same random subset of test images for every digit and both modes.
    std::vector<int64_t> order(mnist.test.images.size());
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), std::mt19937_64(params.train.seed));
    order.resize(std::min<size_t>(order.size(), static_cast<size_t>(std::max(1, params.test_images))));
    ImageBatch subset;
    std::vector<uint8_t> labels;
    for (int64_t i : order) {
        subset.append(mnist.test.images.image(i));
        labels.push_back(mnist.test.labels[i]);
    }
    std::vector<SearchComparisonRun> runs;
    for (int digit : params.digits) {
        const AnomalyModel model =
            train_one_class(mnist, digit, params.train, params.train.seed, params.validation_fraction);
        std::vector<bool> anomalous;
        for (uint8_t label : labels) anomalous.push_back(label != digit);
        SearchComparisonRun run;
        run.digit = digit;
        Stopwatch start;
        run.encoder_auroc = auroc(model.score_values(subset), anomalous);
        run.encoder_ms_per_image = milliseconds_per_image(start, subset.size());
        ScoreParams search = params.search;
        search.mode = ScoreMode::LatentSearch;
        start.restart();
        run.search_auroc = auroc(model.score_values(subset, search), anomalous);
        run.search_ms_per_image = milliseconds_per_image(start, subset.size());
        runs.push_back(run);
        if (log)
            log("digit " + std::to_string(digit) + ": encoder AUROC " + std::to_string(run.encoder_auroc) + " (" +
                std::to_string(run.encoder_ms_per_image) + " ms/image), latent search AUROC " +
                std::to_string(run.search_auroc) + " (" + std::to_string(run.search_ms_per_image) + " ms/image)");
    }
    return runs;
}

LocalizationReport run_localization(const AnomalyModel& model, const ImageBatch& digits,
                                    const LocalizationParams& params) {
    LocalizationReport report;
    std::vector<Image28> masks;
    for (int64_t i = 0; i < digits.size() && report.clean.size() < params.images; ++i) {
        report.clean.append(digits.image(i));
        report.stroked.append(digits.image(i));
        float* stroked = report.stroked.image(i);
        const uint64_t stroke_seed = params.seed * 1000003 + static_cast<uint64_t>(i);
        const bool erasing = params.style == StrokeStyle::Erased;
        const Image28 covered = erasing ? erase_random_stroke(stroked, stroke_seed)
                                : params.style == StrokeStyle::Straight ? draw_random_stroke(stroked, stroke_seed)
                                                                        : draw_varied_stroke(stroked, stroke_seed);
        // Only changed pixels count: where a stroke crosses the digit, or an eraser crosses
        // the paper, nothing changed.
        Image28 changed{};
        for (int p = 0; p < kImagePixels; ++p)
            changed[p] = covered[p] > 0 && (erasing ? digits.image(i)[p] >= 0.5f : digits.image(i)[p] < 0.5f);
        masks.push_back(changed);
    }
    if (report.clean.empty()) throw Error("localization needs at least one digit");
    report.images = static_cast<int>(report.clean.size());
    const std::vector<ImageScore> clean_results = model.score(report.clean);
    const std::vector<ImageScore> stroked_results = model.score(report.stroked);
    std::vector<float> clean_scores, clean_strokes, stroked_scores, stroked_strokes, pixel_heat;
    std::vector<bool> pixel_in_stroke;
    for (int n = 0; n < report.images; ++n) {
        for (int p = 0; p < kImagePixels; ++p) {
            pixel_heat.push_back(stroked_results[n].heatmap[p]);
            pixel_in_stroke.push_back(masks[n][p] > 0);
        }
        clean_scores.push_back(clean_results[n].score);
        clean_strokes.push_back(clean_results[n].stroke_ratio);
        stroked_scores.push_back(stroked_results[n].score);
        stroked_strokes.push_back(stroked_results[n].stroke_ratio);
        report.mean_clean_score += clean_scores[n] / report.images;
        report.mean_stroked_score += stroked_results[n].score / report.images;
        report.stroked_flagged += flagged(stroked_results[n]) / static_cast<double>(report.images);
    }
    report.pixel_auroc = auroc(pixel_heat, pixel_in_stroke);
    report.image_auroc = auroc_against_clean(clean_scores, stroked_scores);
    report.stroke_image_auroc = auroc_against_clean(clean_strokes, stroked_strokes);
    report.mirrored_image_auroc = auroc_against_clean(clean_scores, model.score_values(mirrored(report.clean)));
    return report;
}

}  // namespace oddigit
