#include "explore/explore_view.h"

#include <QComboBox>
#include <QDialog>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QLabel>
#include <QListView>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QTimer>
#include <QSlider>
#include <QSplitter>
#include <QVBoxLayout>
#include <qcustomplot.h>
#include <sstream>

#include "appearance.h"
#include "explore/detail_dialog.h"
#include "explore/latent_map.h"
#include "explore/score_plots.h"
#include "image_conversions.h"
#include "mnist_dialog.h"
#include "plot_export.h"
#include "oddigit/atomic_file.h"
#include "oddigit/latent.h"
#include "oddigit/runtime.h"
#include "oddigit/score.h"
#include "oddigit/score_csv.h"
#include "oddigit/verdict.h"

namespace {
// Test images scored per chunk of the background pass (one progress update each).
constexpr int64_t kChunk = 500;
// Steps of the threshold slider.
constexpr int kSliderSteps = 1000;
// Images along an interpolation line.
constexpr int kInterpolationSteps = 10;
}  // namespace

ExploreView::ExploreView(QWidget* parent) : QWidget(parent) {
    scoreButton_ = new QPushButton(tr("Score the MNIST test set"));
    scoreButton_->setObjectName("scoreTestSet");
    cancelButton_ = new QPushButton(tr("Cancel"));
    cancelButton_->setEnabled(false);
    progress_ = new QProgressBar;
    progress_->setRange(0, 10000);
    colourBy_ = new QComboBox;
    colourBy_->addItems({tr("Colour by label"), tr("Colour by score"), tr("Colour by best-matching digit"),
                         tr("Colour by channel")});
    mapKind_ = new QComboBox;
    mapKind_->setObjectName("mapKind");
    mapKind_->addItems({tr("t-SNE map"), tr("PCA map")});
    mapKind_->setToolTip(tr("t-SNE keeps each image's nearest neighbours together, so digits form clusters;\n"
                            "PCA keeps the two directions the codes vary most along."));
    mapStatus_ = new QLabel;
    labelFilter_ = new QComboBox;
    labelFilter_->addItem(tr("All labels"), -1);
    for (int d = 0; d < 10; ++d) labelFilter_->addItem(tr("Label %1").arg(d), d);
    channelFilter_ = new QComboBox;
    channelFilter_->setObjectName("channelFilter");
    channelFilter_->addItem(tr("Both channels"), static_cast<int>(oddigit::Channel::None));
    channelFilter_->addItem(tr("Odd strokes"), static_cast<int>(oddigit::Channel::Stroke));
    channelFilter_->addItem(tr("Not digits (shape)"), static_cast<int>(oddigit::Channel::Shape));
    channelFilter_->setToolTip(tr("Show the images flagged by either channel, or only those whose stroke or shape\n"
                                  "channel leads (the larger ratio to its threshold)."));
    thresholdSlider_ = new QSlider(Qt::Horizontal);
    thresholdSlider_->setRange(0, kSliderSteps);
    thresholdLabel_ = new QLabel;
    auto* exportButton = new QPushButton(tr("Export flagged…"));
    auto* interpolateButton = new QPushButton(tr("Interpolate two selected"));
    summary_ = new QLabel;

    auto* top = new QHBoxLayout;
    top->addWidget(scoreButton_);
    top->addWidget(progress_, 1);
    top->addWidget(cancelButton_);
    auto* filters = new QHBoxLayout;
    filters->addWidget(new QLabel(tr("Threshold")));
    filters->addWidget(thresholdSlider_, 1);
    filters->addWidget(thresholdLabel_);
    filters->addWidget(labelFilter_);
    filters->addWidget(channelFilter_);
    filters->addWidget(mapKind_);
    filters->addWidget(colourBy_);
    filters->addWidget(exportButton);
    filters->addWidget(interpolateButton);

    QWidget* panels = createPanels();
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addLayout(filters);
    layout->addWidget(summary_);
    layout->addWidget(panels, 1);
    layout->addWidget(interpolation_);
    connectSignals(exportButton, interpolateButton);
    setModel(nullptr);
}

QWidget* ExploreView::createPanels() {
    map_ = new QCustomPlot;
    map_->setAccessibleName(tr("Latent map of the test images"));
    plot_export::addContextMenu(map_, "latent-map");
    appearance::followPalette(map_);
    map_->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    map_->legend->setVisible(true);
    map_->setMouseTracking(true);
    hoverPreview_ = new QLabel;
    hoverPreview_->setMinimumHeight(64);
    galleryView_ = new QListView;
    galleryView_->setViewMode(QListView::IconMode);
    galleryView_->setUniformItemSizes(true);
    galleryView_->setResizeMode(QListView::Adjust);
    galleryView_->setMovement(QListView::Static);
    galleryView_->setLayoutMode(QListView::Batched);
    galleryView_->setSelectionMode(QAbstractItemView::ExtendedSelection);
    galleryView_->setModel(&gallery_);
    histogram_ = new QCustomPlot;
    histogram_->setAccessibleName(tr("Histogram of the test scores"));
    plot_export::addContextMenu(histogram_, "score-histogram");
    appearance::followPalette(histogram_);
    histogram_->xAxis->setLabel(tr("score"));
    histogram_->xAxis->ticker()->setTickCount(3);
    histogram_->yAxis->setLabel(tr("images"));
    roc_ = new QCustomPlot;
    roc_->setAccessibleName(tr("ROC curve"));
    plot_export::addContextMenu(roc_, "roc");
    appearance::followPalette(roc_);
    roc_->xAxis->setLabel(tr("false positive rate"));
    roc_->yAxis->setLabel(tr("true positive rate"));
    interpolation_ = new QLabel;
    interpolation_->setAlignment(Qt::AlignCenter);

    auto* mapPanel = new QWidget;
    auto* mapLayout = new QVBoxLayout(mapPanel);
    mapLayout->setContentsMargins(0, 0, 0, 0);
    mapLayout->addWidget(mapStatus_);
    mapLayout->addWidget(map_, 1);
    mapLayout->addWidget(hoverPreview_);
    auto* chartPanel = new QWidget;
    auto* chartLayout = new QVBoxLayout(chartPanel);
    chartLayout->setContentsMargins(0, 0, 0, 0);
    chartLayout->addWidget(histogram_, 1);
    chartLayout->addWidget(roc_, 1);
    auto* splitter = new QSplitter;
    splitter->addWidget(mapPanel);
    splitter->addWidget(galleryView_);
    splitter->addWidget(chartPanel);
    splitter->setSizes({520, 460, 320});
    return splitter;
}

void ExploreView::connectSignals(QPushButton* exportButton, QPushButton* interpolateButton) {
    connect(scoreButton_, &QPushButton::clicked, this, &ExploreView::scoreTestSet);
    connect(cancelButton_, &QPushButton::clicked, this, &ExploreView::cancelScoring);
    connect(&pass_, &BackgroundJob::progressed, progress_, [this](qint64 done) { progress_->setValue(static_cast<int>(done)); });
    connect(&pass_, &BackgroundJob::failed, this, [this](const QString& message) {
        setScoring(false);
        emit failed(message);
    });
    connect(&detail_, &BackgroundJob::failed, this, &ExploreView::failed);
    connect(thresholdSlider_, &QSlider::valueChanged, this, [this](int value) {
        threshold_ = sliderMin_ + (sliderMax_ - sliderMin_) * value / kSliderSteps;
        refreshFlagged();
    });
    connect(labelFilter_, &QComboBox::currentIndexChanged, this, &ExploreView::refreshFlagged);
    connect(channelFilter_, &QComboBox::currentIndexChanged, this, &ExploreView::refreshFlagged);
    connect(colourBy_, &QComboBox::currentIndexChanged, this, &ExploreView::refreshMap);
    connect(mapKind_, &QComboBox::currentIndexChanged, this, [this] {
        if (mapKind_->currentIndex() == 0) showTsne();
        refreshMap();
    });
    connect(&tsne_, &BackgroundJob::progressed, mapStatus_, [this](qint64 done, qint64 total) {
        mapStatus_->setText(tr("Computing the t-SNE map: %1 of %2 iterations (PCA map until then)").arg(done).arg(total));
    });
    // A map that failed leaves the PCA map up, and the next request (a switch back to the
    // t-SNE map, a new pass) tries again.
    connect(&tsne_, &BackgroundJob::failed, this, [this](const QString& message) {
        computingTsne_ = false;
        mapStatus_->setText(tr("The t-SNE map failed (PCA map shown): %1").arg(message));
        emit failed(message);
    });
    connect(exportButton, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getSaveFileName(this, tr("Export flagged images"), "flagged.csv", tr("CSV (*.csv)"));
        if (path.isEmpty()) return;
        const QString error = exportFlagged(path);
        if (!error.isEmpty()) QMessageBox::critical(this, tr("Export failed"), error);
    });
    connect(interpolateButton, &QPushButton::clicked, this, &ExploreView::interpolateSelection);
    connect(galleryView_, &QListView::activated, this,
            [this](const QModelIndex& index) { showDetail(gallery_.imageIndex(index.row())); });
    connect(map_, &QCustomPlot::mouseMove, this, [this](QMouseEvent* event) {
        const int index = nearestOnMap(event->position());
        if (index < 0) return;
        hoverPreview_->setPixmap(image_conversions::thumbnail(test_->images.image(index), 2));
        hoverPreview_->setToolTip(tr("test image %1 · label %2 · score %3")
                                      .arg(index).arg(test_->labels[index]).arg(results_.scores[index], 0, 'g', 3));
        emit statusMessage(hoverPreview_->toolTip());
    });
    // A click (a press and release without dragging) opens the detail of the nearest image.
    connect(map_, &QCustomPlot::mousePress, this, [this](QMouseEvent* event) { mapPressedAt_ = event->position(); });
    connect(map_, &QCustomPlot::mouseRelease, this, [this](QMouseEvent* event) {
        if (QLineF(mapPressedAt_, event->position()).length() > 3) return;
        const int index = nearestOnMap(event->position());
        if (index >= 0) showDetail(index);
    });
}

ExploreView::~ExploreView() = default;

void ExploreView::setModel(std::shared_ptr<const oddigit::AnomalyModel> model) {
    pass_.cancel();
    detail_.cancel();
    tsne_.cancel();
    computingTsne_ = false;
    mapStatus_->clear();
    model_ = std::move(model);
    setScoring(false);
    results_ = {};
    gallery_.setContents(nullptr, nullptr, {});
    score_plots::showPlaceholder(map_, tr("The latent map of the 10,000 test images\nappears here once they are scored."));
    score_plots::showPlaceholder(histogram_, tr("The histogram of their scores\nappears here."));
    score_plots::showPlaceholder(roc_, tr("The ROC curve appears here\nfor a model with anomalous digits."));
    interpolation_->clear();
    summary_->setText(model_ ? tr("Score the test set to explore it with this model.") : tr("No model loaded."));
}

void ExploreView::showEvent(QShowEvent* event) {
    QWidget::showEvent(event);
    if (!model_ || scoring_ || !results_.scores.empty()) return;
    if (!test_) {
        try {
            oddigit::check_mnist(MnistDialog::folder().toStdString(), oddigit::MnistFiles::TestSet);
        } catch (const std::exception&) {
            // No MNIST yet: the first showing offers it at once, once the view is up; after
            // that the Score button does.
            if (!offeredMnist_) {
                offeredMnist_ = true;
                QTimer::singleShot(0, this, &ExploreView::scoreTestSet);
            }
            return;
        }
    }
    scoreTestSet();
}

void ExploreView::setScoring(bool scoring) {
    scoring_ = scoring;
    scoreButton_->setEnabled(model_ != nullptr && !scoring);
    cancelButton_->setEnabled(scoring);
}

void ExploreView::scoreTestSet() {
    if (!model_ || scoring_) return;
    QString folder;
    if (!test_) {
        folder = MnistDialog::ensure(this, oddigit::MnistFiles::TestSet);
        if (folder.isEmpty()) return;
    }
    setScoring(true);
    progress_->setValue(0);
    // The pass loads MNIST's test set the first time (the view keeps what it hands back), then
    // clones the model in its own thread and scores the copy.
    pass_.start([this, model = model_, test = test_, folder](JobContext& context) {
        const std::shared_ptr<const oddigit::LabelledImages> data =
            test ? test : std::make_shared<const oddigit::LabelledImages>(oddigit::load_mnist_test(folder.toStdString()));
        const oddigit::ImageBatch* images = &data->images;
        const oddigit::AnomalyModel copy = model->clone();
        TestSetScores out;
        out.latentDim = copy.info().architecture.latent_dim;
        for (int64_t begin = 0; begin < images->size(); begin += kChunk) {
            if (context.cancelled()) return;
            oddigit::ImageBatch chunk;
            chunk.pixels.assign(images->image(begin), images->image(std::min(begin + kChunk, images->size())));
            for (const oddigit::ImageScore& score : copy.score(chunk)) {
                out.figures.push_back(score);
                out.scores.push_back(score.score);
            }
            const std::vector<float> codes = copy.encode(chunk);
            out.codes.insert(out.codes.end(), codes.begin(), codes.end());
            context.progress(static_cast<qint64>(out.scores.size()), images->size());
        }
        out.pca = oddigit::principal_components_2d(out.codes, out.latentDim);
        context.deliver([this, out = std::move(out), data]() mutable {
            test_ = data;
            onScored(std::move(out));
        });
    });
    emit statusMessage(tr("Scoring the test set…"));
}

void ExploreView::cancelScoring() {
    if (!scoring_) return;
    pass_.cancel();
    setScoring(false);
    emit statusMessage(tr("Scoring cancelled."));
}

void ExploreView::onScored(TestSetScores results) {
    setScoring(false);
    results_ = std::move(results);
    progress_->setValue(progress_->maximum());
    const auto [low, high] = std::minmax_element(results_.scores.begin(), results_.scores.end());
    sliderMin_ = *low;
    sliderMax_ = *high;
    setThreshold(oddigit::kFlagRatio);
    if (mapKind_->currentIndex() == 0) showTsne();
    refreshMap();
    score_plots::plotHistogram(histogram_, results_.scores, sliderMin_, sliderMax_, threshold_);
    score_plots::plotRoc(roc_, results_.scores, test_->labels, model_->info().normal_classes);
    emit statusMessage(tr("Test set scored."));
    emit scoringFinished();
}

void ExploreView::setThreshold(double threshold) {
    threshold_ = threshold;
    const QSignalBlocker block(thresholdSlider_);
    thresholdSlider_->setValue(static_cast<int>(kSliderSteps * (threshold - sliderMin_) / std::max(1e-12, sliderMax_ - sliderMin_)));
    refreshFlagged();
}

void ExploreView::refreshFlagged() {
    if (results_.scores.empty()) return;
    const int label = labelFilter_->currentData().toInt();
    const auto channel = static_cast<oddigit::Channel>(channelFilter_->currentData().toInt());
    const auto ofChannel = [&](int i) {
        return channel == oddigit::Channel::None || (channel == oddigit::Channel::Shape) == results_.shapeLeads(i);
    };
    std::vector<int> rows;
    for (int i = 0; i < static_cast<int>(results_.scores.size()); ++i)
        if (oddigit::flagged(results_.scores[i], threshold_) && (label < 0 || test_->labels[i] == label) && ofChannel(i))
            rows.push_back(i);
    std::sort(rows.begin(), rows.end(), [this](int a, int b) { return results_.scores[a] > results_.scores[b]; });
    gallery_.setContents(test_.get(), &results_.scores, std::move(rows));
    thresholdLabel_->setText(QString::number(threshold_, 'g', 4));
    summary_->setText(tr("%1 of %2 test images flagged at score %3 (the model's own threshold: 1, a channel at its "
                         "threshold)")
                          .arg(gallery_.rows().size()).arg(results_.scores.size()).arg(threshold_, 0, 'g', 4));
    score_plots::moveThresholdLine(histogram_, threshold_);
    if (colourBy_->currentIndex() == static_cast<int>(latent_map::Colouring::Channel)) refreshMap();
}

void ExploreView::showTsne() {
    if (results_.codes.empty() || !results_.tsne.empty() || computingTsne_) return;
    const QString cachePath = latent_map::cachedMapPath(*model_, results_.scores.size());
    results_.tsne = latent_map::readCachedMap(cachePath, results_.scores.size());
    if (!results_.tsne.empty()) {
        mapStatus_->setText(tr("t-SNE map (cached for this model)"));
        emit tsneMapReady(true);
        return;
    }
    mapStatus_->setText(tr("Computing the t-SNE map…"));
    computingTsne_ = true;
    tsne_.start([this, codes = results_.codes, dim = results_.latentDim, cachePath, params = tsneParams_](
                     JobContext& context) mutable {
        params.threads = ThreadBudget::threadsFor(JobKind::Batch);
        std::vector<float> map = oddigit::tsne_2d(codes, dim, params, [&context](int done, int total) {
            context.progress(done, total);
            return !context.cancelled();
        });
        if (map.empty()) return;
        latent_map::writeCachedMap(cachePath, map);
        context.deliver([this, map = std::move(map)]() mutable {
            results_.tsne = std::move(map);
            computingTsne_ = false;
            mapStatus_->setText(tr("t-SNE map"));
            refreshMap();
            emit tsneMapReady(false);
        });
    });
}

const std::vector<float>& ExploreView::shownMap() const {
    return mapKind_->currentIndex() == 0 && !results_.tsne.empty() ? results_.tsne : results_.pca;
}

void ExploreView::refreshMap() {
    map_->clearGraphs();
    map_->clearItems();
    if (results_.pca.empty()) return;
    const std::vector<float>& map = shownMap();
    const bool tsne = &map == &results_.tsne;
    // The "Colour by" choices are in Colouring's order.
    latent_map::plotMap(map_, map, tsne, results_, test_->labels,
                        static_cast<latent_map::Colouring>(colourBy_->currentIndex()), threshold_);
}

int ExploreView::nearestOnMap(const QPointF& pixel) const {
    return latent_map::nearestPoint(map_, shownMap(), results_.scores.size(), pixel);
}

QString ExploreView::exportFlagged(const QString& path) const {
    std::ostringstream text;
    oddigit::ScoreCsvWriter csv(text, model_->info(), {"label"});
    for (int image : gallery_.rows()) {
        oddigit::ScoreRow row;
        row.index = image;
        row.figures = results_.figures[image];
        row.percentile = model_->info().mnist.percentile(row.figures.score);
        row.verdict = oddigit::judge(row.figures);
        row.source = "t10k-images-idx3-ubyte#" + std::to_string(image);
        row.extra = {std::to_string(test_->labels[image])};
        csv.write(row);
    }
    try {
        oddigit::write_text_atomically(path.toStdString(), text.str());
        return {};
    } catch (const std::exception& error) {
        return QString::fromStdString(error.what());
    }
}

void ExploreView::showDetail(int index) {
    if (!model_ || !test_ || results_.scores.empty()) return;
    detail_.start([this, model = model_, image = test_->images.at(index), index](JobContext& context) {
        oddigit::ImageScore detail = detailSnapshot_.of(model).score(image);
        context.deliver([this, index, detail = std::move(detail)] { openDetail(index, detail); });
    });
}

void ExploreView::openDetail(int index, const oddigit::ImageScore& detail) {
    QDialog* dialog = detail_dialog::create(this, index, detail, model_->info(), *test_, results_);
    dialog->show();
    emit detailShown(dialog);
}

void ExploreView::interpolateSelection() {
    const QModelIndexList selected = galleryView_->selectionModel()->selectedIndexes();
    if (selected.size() != 2 || !model_) {
        interpolation_->setText(tr("Select exactly two images in the gallery (Ctrl+click) to interpolate."));
        return;
    }
    const int dim = results_.latentDim;
    const int a = gallery_.imageIndex(selected[0].row()), b = gallery_.imageIndex(selected[1].row());
    std::vector<float> codes;
    for (int step = 0; step < kInterpolationSteps; ++step) {
        const float t = static_cast<float>(step) / (kInterpolationSteps - 1);
        for (int i = 0; i < dim; ++i)
            codes.push_back((1 - t) * results_.codes[static_cast<size_t>(a) * dim + i] + t * results_.codes[static_cast<size_t>(b) * dim + i]);
    }
    detail_.start([this, model = model_, codes = std::move(codes)](JobContext& context) {
        oddigit::ImageBatch line = detailSnapshot_.of(model).generate(codes);
        context.deliver([this, line = std::move(line)] {
            interpolation_->setPixmap(QPixmap::fromImage(image_conversions::grid(line, kInterpolationSteps, 3)));
        });
    });
}
