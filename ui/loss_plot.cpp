#include "loss_plot.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFile>
#include <QMap>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QSlider>
#include <QVBoxLayout>
#include <qcustomplot.h>

#include "appearance.h"
#include "plot_export.h"

namespace {
// Shortest time between two replots: about 30 frames a second.
constexpr int kReplotIntervalMs = 33;
// Opacity of the raw (unsmoothed) lines.
constexpr int kRawAlpha = 90;
// An earlier run's curves, all in one colour, dashed.
const QColor kOverlayColour(120, 120, 120, 150);

struct SeriesStyle {
    const char* name;
    QColor colour;
};
const SeriesStyle kStyles[LossPlot::SeriesCount] = {
    {"D loss", QColor(31, 119, 180)},   {"G loss", QColor(255, 127, 14)}, {"E loss", QColor(44, 160, 44)},
    {"digit head", QColor(227, 119, 194)}, {"readers", QColor(23, 190, 207)}, {"D(x)", QColor(148, 103, 189)},
    {"D(G(z))", QColor(140, 86, 75)},
};
// The training phase whose rows of a metrics file hold each series.
const char* const kSeriesPhase[LossPlot::SeriesCount] = {"GAN", "GAN", "encoder", "GAN", "reader", "GAN", "GAN"};
}  // namespace

LossPlot::LossPlot(QWidget* parent) : QWidget(parent) {
    createPlot();
    createControls();
    startReplotTimer();
    connectControls();
}

void LossPlot::createPlot() {
    plot_ = new QCustomPlot;
    plot_->setAccessibleName(tr("Training losses"));
    plot_export::addContextMenu(plot_, "losses");
    appearance::followPalette(plot_);
    plot_->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    plot_->setNoAntialiasingOnDrag(true);
    plot_->legend->setVisible(true);
    plot_->xAxis->setLabel(tr("step"));
    plot_->yAxis->setLabel(tr("loss"));
    for (int s = 0; s < SeriesCount; ++s) {
        overlayGraphs_[s] = plot_->addGraph();
        overlayGraphs_[s]->setPen(QPen(kOverlayColour, 1.5, Qt::DashLine));
        overlayGraphs_[s]->removeFromLegend();
        QColor faint = kStyles[s].colour;
        faint.setAlpha(kRawAlpha);
        rawGraphs_[s] = plot_->addGraph();
        rawGraphs_[s]->setPen(QPen(faint, 1));
        rawGraphs_[s]->removeFromLegend();
        smoothGraphs_[s] = plot_->addGraph();
        smoothGraphs_[s]->setPen(QPen(kStyles[s].colour, 2));
        smoothGraphs_[s]->setName(kStyles[s].name);
        const bool logit = s == RealLogit || s == FakeLogit;
        rawGraphs_[s]->setVisible(!logit);
        smoothGraphs_[s]->setVisible(!logit);
        if (logit) smoothGraphs_[s]->removeFromLegend();
    }
}

void LossPlot::createControls() {
    smoothing_ = new QSlider(Qt::Horizontal);
    smoothing_->setRange(0, 99);
    smoothing_->setValue(90);
    smoothing_->setToolTip(tr("Exponential moving average weight of the past"));
    logY_ = new QCheckBox(tr("Log y"));
    follow_ = new QCheckBox(tr("Follow latest"));
    follow_->setChecked(true);
    logits_ = new QCheckBox(tr("D(x), D(G(z))"));
    xAxis_ = new QComboBox;
    xAxis_->addItems({tr("x: step"), tr("x: epoch")});
    readout_ = new QLabel;
    readout_->setTextFormat(Qt::RichText);

    auto* controls = new QHBoxLayout;
    controls->addWidget(new QLabel(tr("Smoothing")));
    controls->addWidget(smoothing_, 1);
    controls->addWidget(logY_);
    controls->addWidget(logits_);
    controls->addWidget(xAxis_);
    controls->addWidget(follow_);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(controls);
    layout->addWidget(plot_, 1);
    layout->addWidget(readout_);
}

void LossPlot::startReplotTimer() {
    replotTimer_.setInterval(kReplotIntervalMs);
    connect(&replotTimer_, &QTimer::timeout, this, [this] {
        if (!dirty_) return;
        dirty_ = false;
        if (follow_->isChecked()) plot_->rescaleAxes(true);
        plot_->replot(QCustomPlot::rpQueuedReplot);
    });
    replotTimer_.start();
}

void LossPlot::connectControls() {
    connect(smoothing_, &QSlider::valueChanged, this, &LossPlot::rebuild);
    connect(xAxis_, &QComboBox::currentIndexChanged, this, &LossPlot::rebuild);
    connect(logY_, &QCheckBox::toggled, this, [this](bool on) {
        plot_->yAxis->setScaleType(on ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
        if (on)
            plot_->yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>::create());
        else
            plot_->yAxis->setTicker(QSharedPointer<QCPAxisTicker>::create());
        resetView();
    });
    connect(logits_, &QCheckBox::toggled, this, [this](bool on) {
        for (Series s : {RealLogit, FakeLogit}) {
            rawGraphs_[s]->setVisible(on);
            smoothGraphs_[s]->setVisible(on);
            overlayGraphs_[s]->setVisible(on);
            if (on)
                smoothGraphs_[s]->addToLegend();
            else
                smoothGraphs_[s]->removeFromLegend();
        }
        resetView();
    });
    connect(plot_, &QCustomPlot::mouseDoubleClick, this, &LossPlot::resetView);
    connect(plot_, &QCustomPlot::mouseMove, this, &LossPlot::showReadout);
    // Zooming or dragging by hand stops following the newest point.
    connect(plot_, &QCustomPlot::mouseWheel, this, [this] { follow_->setChecked(false); });
    connect(plot_, &QCustomPlot::mousePress, this, [this] { follow_->setChecked(false); });
}

double LossPlot::xOf(const Point& point) const { return xAxis_->currentIndex() == 0 ? point.step : point.epoch; }

double LossPlot::smoothedWith(double previous, double value) const {
    const double weight = smoothing_->value() / 100.0;
    return weight * previous + (1 - weight) * value;
}

LossPlot::Curve LossPlot::curveOf(const QVector<Point>& points) const {
    Curve curve;
    for (const Point& p : points) {
        curve.x.append(xOf(p));
        curve.raw.append(p.value);
        curve.smooth.append(curve.smooth.isEmpty() ? p.value : smoothedWith(curve.smooth.back(), p.value));
    }
    return curve;
}

void LossPlot::addPoint(Series series, double step, double epoch, double value) {
    const Point point{step, epoch, value};
    smoothed_[series] = raw_[series].isEmpty() ? value : smoothedWith(smoothed_[series], value);
    raw_[series].append(point);
    // Points arrive in x order: sorted appends keep QCustomPlot's data cheap.
    rawGraphs_[series]->addData(QVector<double>{xOf(point)}, QVector<double>{value}, true);
    smoothGraphs_[series]->addData(QVector<double>{xOf(point)}, QVector<double>{smoothed_[series]}, true);
    scheduleReplot();
}

void LossPlot::clear() {
    for (int s = 0; s < SeriesCount; ++s) {
        raw_[s].clear();
        rawGraphs_[s]->data()->clear();
        smoothGraphs_[s]->data()->clear();
    }
    follow_->setChecked(true);
    scheduleReplot();
}

void LossPlot::rebuild() {
    for (int s = 0; s < SeriesCount; ++s) {
        const Curve run = curveOf(raw_[s]);
        smoothed_[s] = run.smooth.isEmpty() ? 0 : run.smooth.back();
        rawGraphs_[s]->setData(run.x, run.raw, true);
        smoothGraphs_[s]->setData(run.x, run.smooth, true);
        const Curve earlier = curveOf(overlay_[s]);
        overlayGraphs_[s]->setData(earlier.x, earlier.smooth, true);
        overlayGraphs_[s]->setVisible(smoothGraphs_[s]->visible());
    }
    plot_->xAxis->setLabel(xAxis_->currentIndex() == 0 ? tr("step") : tr("epoch"));
    resetView();
}

QString LossPlot::loadOverlay(const QString& csvPath) {
    QFile file(csvPath);
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text)) return tr("cannot read %1: %2").arg(csvPath, file.errorString());
    const QStringList header = QString::fromUtf8(file.readLine()).trimmed().split(',');
    const int phase = header.indexOf("phase"), epoch = header.indexOf("epoch"), step = header.indexOf("step"),
              global = header.indexOf("global_step");
    const qsizetype columns[SeriesCount] = {header.indexOf("d_loss"),     header.indexOf("g_loss"), header.indexOf("e_loss"),
                                            header.indexOf("digit_loss"), header.indexOf("r_loss"), header.indexOf("d_real"),
                                            header.indexOf("d_fake")};
    if (phase < 0 || epoch < 0 || step < 0 || global < 0 || columns[Discriminator] < 0)
        return tr("%1 is not a training metrics file (no phase, epoch, step, global_step and d_loss columns)").arg(csvPath);
    struct Row {
        QString phase;
        int epoch, step;
        double global;
        QStringList fields;
    };
    QVector<Row> rows;
    // Per phase, in the order they run: its epochs and its steps per epoch.
    const QStringList phases = {"GAN", "encoder", "reader"};
    QMap<QString, int> epochs, steps;
    while (!file.atEnd()) {
        const QStringList fields = QString::fromUtf8(file.readLine()).trimmed().split(',');
        if (fields.size() < header.size()) continue;  // an unfinished last line
        Row row{fields[phase], fields[epoch].toInt(), fields[step].toInt(), fields[global].toDouble(), fields};
        epochs[row.phase] = std::max(epochs.value(row.phase), row.epoch);
        if (row.epoch == 1) steps[row.phase] = std::max(steps.value(row.phase, 1), row.step);
        rows.append(row);
    }
    if (rows.isEmpty()) return tr("%1 holds no measurements").arg(csvPath);
    for (auto& series : overlay_) series.clear();
    for (const Row& row : rows) {
        int epochsBefore = 0;
        for (int p = 0; p < phases.indexOf(row.phase); ++p) epochsBefore += epochs.value(phases[p]);
        const double epochPosition = epochsBefore + row.epoch - 1 + static_cast<double>(row.step) / steps.value(row.phase, 1);
        for (int s = 0; s < SeriesCount; ++s) {
            if (columns[s] < 0 || columns[s] >= row.fields.size() || row.phase != kSeriesPhase[s]) continue;
            overlay_[s].append({row.global, epochPosition, row.fields[columns[s]].toDouble()});
        }
    }
    overlayGraphs_[Discriminator]->setName(tr("earlier run: %1").arg(QFileInfo(csvPath).fileName()));
    overlayGraphs_[Discriminator]->addToLegend();
    rebuild();
    return {};
}

void LossPlot::resetView() {
    plot_->rescaleAxes(true);
    plot_->replot(QCustomPlot::rpQueuedReplot);
}

void LossPlot::scheduleReplot() { dirty_ = true; }

void LossPlot::showReadout(QMouseEvent* event) {
    const double x = plot_->xAxis->pixelToCoord(event->position().x());
    QStringList parts;
    for (int s = 0; s < SeriesCount; ++s) {
        if (!smoothGraphs_[s]->visible() || smoothGraphs_[s]->data()->isEmpty()) continue;
        auto it = smoothGraphs_[s]->data()->findBegin(x);
        if (it == smoothGraphs_[s]->data()->constEnd()) continue;
        const auto raw = rawGraphs_[s]->data()->findBegin(x);
        parts << QString("<span style='color:%1'>%2</span> %3 (raw %4)")
                     .arg(kStyles[s].colour.name(), kStyles[s].name)
                     .arg(it->value, 0, 'g', 4)
                     .arg(raw->value, 0, 'g', 4);
    }
    readout_->setText(parts.isEmpty() ? QString() : QString("%1 %2: ").arg(plot_->xAxis->label()).arg(x, 0, 'f', 1) + parts.join(" · "));
}
