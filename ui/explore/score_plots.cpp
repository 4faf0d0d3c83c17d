#include "explore/score_plots.h"

#include <qcustomplot.h>

#include <algorithm>

#include "oddigit/metrics.h"

namespace score_plots {

namespace {
// Bins of the score histogram.
constexpr int kHistogramBins = 60;
}  // namespace

void showPlaceholder(QCustomPlot* plot, const QString& text) {
    plot->clearPlottables();
    plot->clearItems();
    showAxes(plot, false);
    auto* label = new QCPItemText(plot);
    label->setClipToAxisRect(false);
    label->position->setType(QCPItemPosition::ptAxisRectRatio);
    label->position->setCoords(0.5, 0.5);
    label->setText(text);
    label->setColor(plot->palette().color(QPalette::PlaceholderText));
    plot->replot();
}

void showAxes(QCustomPlot* plot, bool shown) {
    plot->xAxis->setVisible(shown);
    plot->yAxis->setVisible(shown);
    plot->legend->setVisible(shown && plot->graphCount() > 0);
}

void plotHistogram(QCustomPlot* plot, const std::vector<float>& scores, double low, double high, double threshold) {
    plot->clearPlottables();
    plot->clearItems();
    showAxes(plot, true);
    const double width = (high - low) / kHistogramBins;
    QVector<double> centres(kHistogramBins), counts(kHistogramBins, 0);
    for (int b = 0; b < kHistogramBins; ++b) centres[b] = low + (b + 0.5) * width;
    for (float s : scores) counts[std::min(kHistogramBins - 1, static_cast<int>((s - low) / width))] += 1;
    auto* bars = new QCPBars(plot->xAxis, plot->yAxis);
    bars->setData(centres, counts);
    bars->setWidth(width);
    bars->setPen(Qt::NoPen);
    bars->setBrush(QColor(31, 119, 180, 170));
    auto* line = new QCPItemStraightLine(plot);
    line->setPen(QPen(QColor(215, 58, 73), 2));
    line->point1->setCoords(threshold, 0);
    line->point2->setCoords(threshold, 1);
    plot->rescaleAxes();
    plot->replot();
}

void moveThresholdLine(QCustomPlot* plot, double threshold) {
    if (auto* line = plot->itemCount() > 0 ? qobject_cast<QCPItemStraightLine*>(plot->item(0)) : nullptr) {
        line->point1->setCoords(threshold, 0);
        line->point2->setCoords(threshold, 1);
        plot->replot(QCustomPlot::rpQueuedReplot);
    }
}

void plotRoc(QCustomPlot* plot, const std::vector<float>& scores, const std::vector<uint8_t>& labels,
             const oddigit::ClassSet& normal) {
    plot->clearGraphs();
    plot->clearItems();
    plot->plotLayout()->setAutoMargins(QCP::msAll);
    std::vector<bool> anomalous;
    for (uint8_t label : labels) anomalous.push_back(!normal.contains(label));
    if (normal.is_all()) {
        showPlaceholder(plot, QObject::tr("No ROC curve: every digit\nis normal for this model."));
        return;
    }
    showAxes(plot, true);
    const auto curve = oddigit::roc_curve(scores, anomalous);
    QVector<double> x, y;
    for (const auto& point : curve) {
        x.append(point.false_positive_rate);
        y.append(point.true_positive_rate);
    }
    QCPGraph* graph = plot->addGraph();
    graph->setData(x, y, true);
    graph->setPen(QPen(QColor(31, 119, 180), 2));
    plot->xAxis->setRange(0, 1);
    plot->yAxis->setRange(0, 1);
    plot->xAxis->setLabel(QObject::tr("false positive rate · AUROC %1").arg(oddigit::auroc(scores, anomalous), 0, 'f', 4));
    plot->replot();
}

}  // namespace score_plots
