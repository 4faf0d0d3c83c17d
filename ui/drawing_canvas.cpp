#include "drawing_canvas.h"

#include <QMouseEvent>
#include <QPainter>
#include <QPainterPathStroker>
#include <QTabletEvent>

#include "stroke_commands.h"

namespace {
// Colour of the outline around the odd stroke.
const QColor kOddStrokeColour(0, 170, 255);
// On screen the ink is grey, so the heat colours stay readable on top of it.
const QColor kScreenInk(85, 85, 85);
// Extra logical units around a stroke that still count as hovering it.
constexpr qreal kHoverSlack = 4;
}  // namespace

DrawingCanvas::DrawingCanvas(QWidget* parent) : QWidget(parent) {
    setAttribute(Qt::WA_StaticContents);
    setMouseTracking(true);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
    setMinimumSize(200, 200);
    setCursor(Qt::CrossCursor);
}

void DrawingCanvas::setStrokes(const StrokeList& strokes) {
    strokes_ = strokes;
    oddStroke_ = -1;
    shares_.clear();
    update();
    emit drawingChanged();
}

StrokeList DrawingCanvas::currentStrokes() const {
    StrokeList strokes = strokes_;
    if (drawing_) strokes.append(current_);
    return strokes;
}

void DrawingCanvas::setBackground(const QImage& image) {
    background_ = image;
    update();
    emit drawingChanged();
}

void DrawingCanvas::setHeat(const QImage& heat, const QTransform& gridToLogical) {
    heat_ = heat;
    gridToLogical_ = gridToLogical;
    update();
}

void DrawingCanvas::setHeatOpacity(qreal opacity) {
    heatOpacity_ = opacity;
    update();
}

void DrawingCanvas::setStrokeVerdict(int oddStroke, const QVector<double>& shares) {
    oddStroke_ = oddStroke;
    shares_ = shares;
    update();
}

void DrawingCanvas::clear() {
    if (!strokes_.isEmpty()) undoStack_.push(new ClearCommand(this));
    if (!background_.isNull()) setBackground({});
}

QImage DrawingCanvas::render(const StrokeList& strokes, const QImage& background, int skipStroke) {
    QImage image(kLogicalSize, kLogicalSize, QImage::Format_Grayscale8);
    QPainter painter(&image);
    paintPaper(painter, strokes, background, Qt::black, skipStroke);
    return image;
}

void DrawingCanvas::paintPaper(QPainter& painter, const StrokeList& strokes, const QImage& background,
                               const QColor& ink, int skipStroke) {
    painter.setRenderHint(QPainter::Antialiasing);
    painter.setRenderHint(QPainter::SmoothPixmapTransform);
    painter.fillRect(QRectF(0, 0, kLogicalSize, kLogicalSize), Qt::white);
    if (!background.isNull()) {
        const QSize fitted = background.size().scaled(kLogicalSize, kLogicalSize, Qt::KeepAspectRatio);
        painter.drawImage(QRect(QPoint((kLogicalSize - fitted.width()) / 2, (kLogicalSize - fitted.height()) / 2), fitted),
                          background);
    }
    for (int i = 0; i < strokes.size(); ++i) {
        if (i == skipStroke) continue;
        painter.setPen(QPen(ink, strokes[i].width, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
        painter.drawPath(strokes[i].path);
    }
}

QImage DrawingCanvas::snapshot() { return grab().toImage(); }

QTransform DrawingCanvas::logicalToWidget() const {
    const qreal side = std::min(width(), height());
    const qreal scale = side / kLogicalSize;
    return QTransform::fromTranslate((width() - side) / 2, (height() - side) / 2).scale(scale, scale);
}

QPointF DrawingCanvas::toLogical(const QPointF& widgetPoint) const {
    return logicalToWidget().inverted().map(widgetPoint);
}

void DrawingCanvas::paintEvent(QPaintEvent*) {
    QPainter painter(this);
    painter.fillRect(rect(), palette().window());
    painter.setRenderHint(QPainter::Antialiasing);
    painter.setRenderHint(QPainter::SmoothPixmapTransform);
    painter.setTransform(logicalToWidget());
    const QRectF paper(0, 0, kLogicalSize, kLogicalSize);
    // Vector strokes straight onto the widget: sharp at any size and device pixel ratio.
    painter.save();
    painter.setClipRect(paper);
    paintPaper(painter, currentStrokes(), background_, kScreenInk);
    painter.restore();

    if (!heat_.isNull()) {
        painter.save();
        painter.setClipRect(paper);
        painter.setOpacity(heatOpacity_);
        painter.setTransform(gridToLogical_ * logicalToWidget());
        painter.drawImage(QRectF(0, 0, heat_.width(), heat_.height()), heat_);
        painter.restore();
    }
    for (int i = 0; i < strokes_.size(); ++i) {
        if (i != oddStroke_ && i != hoveredStroke_) continue;
        QPainterPathStroker stroker;
        stroker.setWidth(strokes_[i].width + 6);
        stroker.setCapStyle(Qt::RoundCap);
        stroker.setJoinStyle(Qt::RoundJoin);
        const QColor colour = i == oddStroke_ ? kOddStrokeColour : palette().highlight().color();
        painter.setPen(QPen(colour, 2.5, i == oddStroke_ ? Qt::SolidLine : Qt::DashLine));
        painter.setBrush(Qt::NoBrush);
        painter.drawPath(stroker.createStroke(strokes_[i].path).simplified());
    }
    painter.resetTransform();
    painter.setPen(palette().mid().color());
    painter.drawRect(logicalToWidget().mapRect(paper).adjusted(0, 0, -1, -1));
}

void DrawingCanvas::beginStroke(const QPointF& logical) {
    drawing_ = true;
    current_ = Stroke{QPainterPath(logical), penWidth_};
    current_.path.lineTo(logical + QPointF(0.01, 0));  // a click leaves a dot
    lastPoint_ = logical;
    update();
    emit drawingChanged();
}

void DrawingCanvas::extendStroke(const QPointF& logical) {
    if (!drawing_ || QLineF(lastPoint_, logical).length() < 0.5) return;
    // Quadratic segments through the midpoints smooth out the mouse's jitter.
    const QPointF middle = (lastPoint_ + logical) / 2;
    current_.path.quadTo(lastPoint_, middle);
    lastPoint_ = logical;
    update();
    emit drawingChanged();
}

void DrawingCanvas::endStroke() {
    if (!drawing_) return;
    current_.path.lineTo(lastPoint_);
    drawing_ = false;
    undoStack_.push(new AddStrokeCommand(this, current_));
}

int DrawingCanvas::strokeAt(const QPointF& logical) const {
    for (int i = static_cast<int>(strokes_.size()) - 1; i >= 0; --i) {
        QPainterPathStroker stroker;
        stroker.setWidth(strokes_[i].width + kHoverSlack);
        if (stroker.createStroke(strokes_[i].path).contains(logical)) return i;
    }
    return -1;
}

void DrawingCanvas::mousePressEvent(QMouseEvent* event) {
    if (event->button() == Qt::LeftButton) beginStroke(toLogical(event->position()));
}

void DrawingCanvas::mouseMoveEvent(QMouseEvent* event) {
    const QPointF logical = toLogical(event->position());
    if (drawing_ && (event->buttons() & Qt::LeftButton)) {
        extendStroke(logical);
        return;
    }
    const int hovered = strokeAt(logical);
    if (hovered != hoveredStroke_) {
        hoveredStroke_ = hovered;
        update();
        emit strokeHovered(hovered, hovered >= 0 && hovered < shares_.size() ? shares_[hovered] : 0.0);
    }
}

void DrawingCanvas::mouseReleaseEvent(QMouseEvent* event) {
    if (event->button() == Qt::LeftButton) endStroke();
}

void DrawingCanvas::tabletEvent(QTabletEvent* event) {
    const QPointF logical = toLogical(event->position());
    switch (event->type()) {
        case QEvent::TabletPress:
            beginStroke(logical);
            // Pressure scales the pen from half to one and a half times the set width.
            current_.width = penWidth_ * (0.5 + event->pressure());
            break;
        case QEvent::TabletMove:
            extendStroke(logical);
            break;
        case QEvent::TabletRelease:
            endStroke();
            break;
        default:
            break;
    }
    event->accept();
}

void DrawingCanvas::leaveEvent(QEvent*) {
    if (hoveredStroke_ < 0) return;
    hoveredStroke_ = -1;
    update();
    emit strokeHovered(-1, 0.0);
}
