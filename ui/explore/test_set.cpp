#include "explore/test_set.h"

#include <algorithm>
#include <sstream>

#include "oddigit/atomic_file.h"
#include "oddigit/image_folder.h"
#include "oddigit/latent.h"
#include "oddigit/mnist.h"
#include "oddigit/protocol.h"
#include "oddigit/score_csv.h"
#include "oddigit/verdict.h"

namespace test_set {

std::optional<oddigit::DataSource> sourceOf(const oddigit::ModelInfo& info) {
    if (info.test_data) return info.test_data;
    if (info.normal_classes.names_digits()) return oddigit::DataSource::mnist();
    return std::nullopt;
}

oddigit::LabelledImages load(const oddigit::DataSource& source, const QString& mnistFolder, QStringList& classes) {
    if (!source.is_folder()) {
        classes = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};
        return oddigit::load_mnist_test(mnistFolder.toStdString());
    }
    oddigit::ImageFolderParams params;
    params.as_is = source.as_is;
    oddigit::ImageFolder folder = oddigit::load_image_folder(source.folder, params);
    classes.clear();
    for (const std::string& name : folder.class_names) classes << QString::fromStdString(name);
    return std::move(folder.images);
}

std::optional<TestSetScores> score(const oddigit::AnomalyModel& model, const oddigit::ImageBatch& images,
                                   const std::function<bool(int64_t done, int64_t total)>& progress) {
    // Images a chunk: one progress report each.
    constexpr int64_t kChunk = 500;
    TestSetScores out;
    out.latentDim = model.info().architecture.latent_dim;
    for (int64_t begin = 0; begin < images.size(); begin += kChunk) {
        oddigit::ImageBatch chunk;
        chunk.pixels.assign(images.image(begin), images.image(std::min(begin + kChunk, images.size())));
        for (const oddigit::ImageScore& score : model.score(chunk)) {
            out.figures.push_back(score);
            out.scores.push_back(score.score);
        }
        const std::vector<float> codes = model.encode(chunk);
        out.codes.insert(out.codes.end(), codes.begin(), codes.end());
        if (!progress(static_cast<int64_t>(out.scores.size()), images.size())) return std::nullopt;
    }
    out.pca = oddigit::principal_components_2d(out.codes, out.latentDim);
    return out;
}

oddigit::ClassSet normalClasses(const oddigit::ModelInfo& info, const QStringList& classes) {
    // The classes are named, so none is refused (that is only for MNIST's unnamed digits).
    std::vector<std::string> names;
    for (const QString& name : classes) names.push_back(name.toStdString());
    const std::vector<bool> normal = oddigit::normal_test_classes(info, names);
    oddigit::ClassSet set(classes.size());
    for (size_t c = 0; c < normal.size(); ++c)
        if (normal[c]) set.insert(static_cast<int>(c));
    return set;
}

QString writeFlaggedCsv(const QString& path, const oddigit::ModelInfo& info, const Scored& scored,
                        const std::vector<int>& rows) {
    std::ostringstream text;
    oddigit::ScoreCsvWriter csv(text, info, {"label"});
    const std::string file = scored.source.is_folder() ? scored.source.record() : "t10k-images-idx3-ubyte";
    for (int image : rows) {
        oddigit::ScoreRow row;
        row.index = image;
        row.figures = scored.scores->figures[image];
        row.percentile = info.mnist.percentile(row.figures.score);
        row.verdict = oddigit::judge(row.figures);
        row.source = file + "#" + std::to_string(image);
        row.extra = {scored.classes.value(scored.images->labels[image]).toStdString()};
        csv.write(row);
    }
    try {
        oddigit::write_text_atomically(path.toStdString(), text.str());
        return {};
    } catch (const std::exception& error) {
        return QString::fromStdString(error.what());
    }
}

}  // namespace test_set
