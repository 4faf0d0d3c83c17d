#pragma once
// The test set Explore scores with a model, and what it writes about it: where it comes from
// (MNIST's test set, or the test folder a model of an image folder records), which of its
// classes are normal for the model, and the flagged images as CSV.
#include <QString>
#include <QStringList>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "explore/test_set_scores.h"
#include "oddigit/image.h"
#include "oddigit/model.h"

namespace test_set {

// The test set Explore scores with a model: the test folder it records (ModelInfo::test_data),
// else MNIST's test set for a model of digits; none for a model of a folder's other classes
// without a test folder.
std::optional<oddigit::DataSource> sourceOf(const oddigit::ModelInfo& info);

// Loads the test set of source (MNIST's from mnistFolder) and sets classes to its classes'
// names. Throws oddigit::Error as load_mnist_test() and load_image_folder() do.
oddigit::LabelledImages load(const oddigit::DataSource& source, const QString& mnistFolder, QStringList& classes);

// The test classes (by name) that are normal for the model, as a set over the test's classes.
oddigit::ClassSet normalClasses(const oddigit::ModelInfo& info, const QStringList& classes);

// Scores images with model (the app's: this runs in a background pass beside the Draw view's), and
// encodes them with their PCA map, in chunks; after each, progress(done, total) returns
// whether to go on. Nothing when it said no.
std::optional<TestSetScores> score(const oddigit::AnomalyModel& model, const oddigit::ImageBatch& images,
                                   const std::function<bool(int64_t done, int64_t total)>& progress);

// A scored test set, as the view holds it.
struct Scored {
    const oddigit::LabelledImages* images;
    const TestSetScores* scores;
    QStringList classes;  // the names of images' labels
    oddigit::DataSource source;  // sourceOf()
};

// Writes the rows (image indices) of the scored test set as CSV (oddigit/score_csv.h, with a
// label column), atomically. Returns an empty string or the error.
QString writeFlaggedCsv(const QString& path, const oddigit::ModelInfo& info, const Scored& scored,
                        const std::vector<int>& rows);

}  // namespace test_set
