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

#include "appearance.h"
#include "explore/detail_dialog.h"
#include "explore/latent_map.h"
#include "explore/score_plots.h"
#include "explore/test_set.h"
#include "image_conversions.h"
#include "mnist_dialog.h"
#include "plot_export.h"
#include "oddigit/latent.h"
#include "oddigit/score.h"

namespace {
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
    labelFilter_->setObjectName("labelFilter");
    setTestClasses({"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"});
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
                                      .arg(index).arg(testClasses_.value(test_->labels[index])).arg(results_.scores[index], 0, 'g', 3));
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
    const std::optional<oddigit::DataSource> source = model_ ? test_set::sourceOf(model_->info()) : std::nullopt;
    if (source != testSource_) {
        test_.reset();
        testSource_ = source;
    }
    scoreButton_->setText(scoresMnist() ? tr("Score the MNIST test set") : tr("Score the test folder"));
    setScoring(false);
    results_ = {};
    gallery_.setContents(nullptr, nullptr, {});
    score_plots::showPlaceholder(map_, tr("The latent map of the 10,000 test images\nappears here once they are scored."));
    score_plots::showPlaceholder(histogram_, tr("The histogram of their scores\nappears here."));
    score_plots::showPlaceholder(roc_, tr("The ROC curve appears here\nfor a model with anomalous digits."));
    interpolation_->clear();
    summary_->setText(!model_              ? tr("No model loaded.")
                      : !testSource_ ? tr("This model learnt from an image folder and names no test folder: train "
                                                 "it with a test folder (Train › Data) to explore it here.")
                                            : tr("Score the test set to explore it with this model."));
}

void ExploreView::showEvent(QShowEvent* event) {
    QWidget::showEvent(event);
    if (!model_ || scoring_ || !results_.scores.empty() || !testSource_) return;
    if (!test_ && scoresMnist()) {
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
    scoreButton_->setEnabled(model_ != nullptr && testSource_.has_value() && !scoring);
    cancelButton_->setEnabled(scoring);
}

void ExploreView::scoreTestSet() {
    if (!model_ || scoring_ || !testSource_) return;
    QString mnistFolder;
    if (!test_ && scoresMnist()) {
        mnistFolder = MnistDialog::ensure(this, oddigit::MnistFiles::TestSet);
        if (mnistFolder.isEmpty()) return;
    }
    setScoring(true);
    progress_->setValue(0);
    // The pass loads the test set the first time (the view keeps what it hands back), then
    // scores it with the app's model, which the Draw view may be scoring at the same time.
    pass_.start([this, model = model_, test = test_, names = testClasses_, source = *testSource_,
                 mnistFolder](JobContext& context) {
        QStringList classes = names;
        std::shared_ptr<const oddigit::LabelledImages> data = test;
        if (!data) data = std::make_shared<const oddigit::LabelledImages>(test_set::load(source, mnistFolder, classes));
        std::optional<TestSetScores> out = test_set::score(*model, data->images, [&context](int64_t done, int64_t total) {
            context.progress(done, total);
            return !context.cancelled();
        });
        if (!out) return;
        context.deliver([this, out = std::move(*out), data, classes]() mutable {
            test_ = data;
            setTestClasses(classes);
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
    score_plots::plotRoc(roc_, results_.scores, test_->labels, test_set::normalClasses(model_->info(), testClasses_));
    emit statusMessage(tr("Test set scored."));
    emit scoringFinished();
}

void ExploreView::setTestClasses(const QStringList& names) {
    testClasses_ = names;
    const QSignalBlocker block(labelFilter_);
    labelFilter_->clear();
    labelFilter_->addItem(tr("All labels"), -1);
    for (int c = 0; c < names.size(); ++c) labelFilter_->addItem(tr("Label %1").arg(names[c]), c);
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
    gallery_.setContents(test_.get(), &results_.scores, std::move(rows), testClasses_);
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
    QStringList modelClasses;
    for (int c = 0; c < model_->info().architecture.classes; ++c)
        modelClasses << QString::fromStdString(model_->info().normal_classes.name(c));
    latent_map::plotMap(map_, map, tsne, results_, test_->labels, {testClasses_, modelClasses},
                        static_cast<latent_map::Colouring>(colourBy_->currentIndex()), threshold_);
}

int ExploreView::nearestOnMap(const QPointF& pixel) const {
    return latent_map::nearestPoint(map_, shownMap(), results_.scores.size(), pixel);
}

QString ExploreView::exportFlagged(const QString& path) const {
    return test_set::writeFlaggedCsv(path, model_->info(), {test_.get(), &results_, testClasses_, *testSource_},
                                     gallery_.rows());
}

void ExploreView::showDetail(int index) {
    if (!model_ || !test_ || results_.scores.empty()) return;
    detail_.start([this, model = model_, image = test_->images.at(index), index](JobContext& context) {
        oddigit::ImageScore detail = model->score(image);
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
        oddigit::ImageBatch line = model->generate(codes);
        context.deliver([this, line = std::move(line)] {
            interpolation_->setPixmap(QPixmap::fromImage(image_conversions::grid(line, kInterpolationSteps, 3)));
        });
    });
}
