#include "score_gauge.h"

#include <QPainter>

#include "oddigit/score.h"

namespace {
// The gauge spans this many thresholds, so normal and anomalous scores both have room.
constexpr double kSpanInThresholds = 3.0;
const QColor kNormalColour(46, 160, 67);
const QColor kAnomalousColour(215, 58, 73);
}  // namespace

ScoreGauge::ScoreGauge(QWidget* parent) : QWidget(parent) {
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
    setMinimumHeight(44);
}

void ScoreGauge::setThreshold(double threshold) {
    threshold_ = threshold > 0 ? threshold : 1.0;
    update();
}

void ScoreGauge::setScore(double score) {
    score_ = score;
    setAccessibleDescription(tr("score %1, threshold %2").arg(score, 0, 'g', 3).arg(threshold_, 0, 'g', 3));
    update();
}

void ScoreGauge::paintEvent(QPaintEvent*) {
    QPainter painter(this);
    painter.setRenderHint(QPainter::Antialiasing);
    const QRectF bar = QRectF(rect()).adjusted(4, 4, -4, -20);
    painter.setPen(palette().mid().color());
    painter.setBrush(palette().base());
    painter.drawRoundedRect(bar, 4, 4);

    const double span = kSpanInThresholds * threshold_;
    if (score_ >= 0) {
        const double filled = std::min(score_ / span, 1.0);
        painter.setPen(Qt::NoPen);
        painter.setBrush(oddigit::flagged(score_, threshold_) ? kAnomalousColour : kNormalColour);
        painter.drawRoundedRect(QRectF(bar.left(), bar.top(), bar.width() * filled, bar.height()), 4, 4);
    }
    const double thresholdX = bar.left() + bar.width() / kSpanInThresholds;
    painter.setPen(QPen(palette().text().color(), 2));
    painter.drawLine(QPointF(thresholdX, bar.top() - 2), QPointF(thresholdX, bar.bottom() + 2));
    painter.setPen(palette().text().color());
    const QRectF labels(bar.left(), bar.bottom() + 2, bar.width(), 16);
    painter.drawText(labels, Qt::AlignLeft | Qt::AlignVCenter, "0");
    painter.drawText(QRectF(thresholdX - 60, labels.top(), 120, 16), Qt::AlignCenter,
                     tr("threshold %1").arg(threshold_, 0, 'g', 3));
    painter.drawText(labels, Qt::AlignRight | Qt::AlignVCenter, QString::number(span, 'g', 3) + "+");
}
