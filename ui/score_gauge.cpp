#include "score_gauge.h"

#include <QPainter>

#include "oddigit/score.h"

namespace {
// Each gauge spans this many thresholds, so normal and anomalous ratios both have room.
constexpr double kSpanInThresholds = 3.0;
constexpr int kLabelWidth = 52;
const QColor kNormalColour(46, 160, 67);
const QColor kAnomalousColour(215, 58, 73);
}  // namespace

ScoreGauge::ScoreGauge(QWidget* parent) : QWidget(parent) {
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
    setMinimumHeight(64);
}

void ScoreGauge::setRatios(double stroke, double shape, bool hasShapeChannel) {
    stroke_ = stroke;
    shape_ = shape;
    hasShapeChannel_ = hasShapeChannel;
    setAccessibleDescription(stroke < 0 ? tr("no drawing")
                                        : tr("stroke %1 of its threshold, shape %2 of its threshold")
                                              .arg(stroke, 0, 'f', 2)
                                              .arg(hasShapeChannel ? QString::number(shape, 'f', 2) : tr("none")));
    update();
}

void ScoreGauge::paintEvent(QPaintEvent*) {
    QPainter painter(this);
    painter.setRenderHint(QPainter::Antialiasing);
    const QRectF area = QRectF(rect()).adjusted(4, 2, -4, -18);
    const double rowHeight = area.height() / 2;
    const QRectF bars(area.left() + kLabelWidth, area.top(), area.width() - kLabelWidth, area.height());
    const double thresholdX = bars.left() + bars.width() / kSpanInThresholds;
    const auto drawRow = [&](int row, const QString& name, double ratio, bool present) {
        const QRectF bar(bars.left(), area.top() + row * rowHeight + 2, bars.width(), rowHeight - 4);
        painter.setPen(palette().text().color());
        painter.drawText(QRectF(area.left(), bar.top(), kLabelWidth - 4, bar.height()), Qt::AlignRight | Qt::AlignVCenter,
                         name);
        painter.setPen(palette().mid().color());
        painter.setBrush(palette().base());
        painter.drawRoundedRect(bar, 4, 4);
        if (!present) {
            painter.setPen(palette().placeholderText().color());
            painter.drawText(bar, Qt::AlignCenter, tr("none"));
        } else if (ratio >= 0) {
            painter.setPen(Qt::NoPen);
            painter.setBrush(oddigit::flagged(ratio, oddigit::kFlagRatio) ? kAnomalousColour : kNormalColour);
            painter.drawRoundedRect(QRectF(bar.left(), bar.top(), bar.width() * std::min(ratio / kSpanInThresholds, 1.0),
                                           bar.height()),
                                    4, 4);
        }
    };
    drawRow(0, tr("stroke"), stroke_, true);
    drawRow(1, tr("shape"), shape_, hasShapeChannel_);
    painter.setPen(QPen(palette().text().color(), 2));
    painter.drawLine(QPointF(thresholdX, area.top()), QPointF(thresholdX, area.bottom()));
    painter.setPen(palette().text().color());
    const QRectF labels(bars.left(), area.bottom() + 2, bars.width(), 16);
    painter.drawText(labels, Qt::AlignLeft | Qt::AlignVCenter, "0");
    painter.drawText(QRectF(thresholdX - 60, labels.top(), 120, 16), Qt::AlignCenter, tr("threshold"));
    painter.drawText(labels, Qt::AlignRight | Qt::AlignVCenter, QString::number(kSpanInThresholds, 'g', 3) + "×+");
}
