#include "drawing_canvas.h"

#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>
#include <QPainterPathStroker>
#include <QTabletEvent>

#include "stroke_commands.h"

namespace {
// Colour of the outline around the stroke to blame.
const QColor kBlamedStrokeColour(0, 170, 255);
// On screen the ink is grey, so the heat colours stay readable on top of it.
constexpr int kScreenInkGrey = 85;
// Extra paper pixels around a stroke that still count as hovering it.
constexpr qreal kHoverSlack = 4;
// A click leaves a dot: a stroke of two points this far apart.
constexpr float kDotLength = 0.01f;

QPainterPath pathOf(const oddigit::PenStroke& stroke) {
    QPainterPath path(QPointF(stroke.points.front()[0], stroke.points.front()[1]));
    for (const auto& point : stroke.points) path.lineTo(point[0], point[1]);
    return path;
}

// The renderer's black-on-white paper as screen ink: black becomes the grey ink, white stays white.
QVector<QRgb> screenInkColours() {
    QVector<QRgb> colours(256);
    for (int level = 0; level < 256; ++level) {
        const int grey = kScreenInkGrey + (255 - kScreenInkGrey) * level / 255;
        colours[level] = qRgb(grey, grey, grey);
    }
    return colours;
}
}  // namespace

DrawingCanvas::DrawingCanvas(QWidget* parent) : QWidget(parent) {
    setAttribute(Qt::WA_StaticContents);
    setMouseTracking(true);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
    setMinimumSize(200, 200);
    setCursor(Qt::CrossCursor);
}

void DrawingCanvas::setStrokes(const StrokeList& strokes) {
    drawing_.strokes = strokes;
    blamedStroke_ = -1;
    shares_.clear();
    renderedStale_ = true;
    update();
    emit drawingChanged();
}

oddigit::Drawing DrawingCanvas::currentDrawing() const {
    oddigit::Drawing drawing = drawing_;
    if (drawingStroke_) drawing.strokes.push_back(current_);
    return drawing;
}

void DrawingCanvas::setBackground(const oddigit::GrayImage& image) {
    drawing_.background = image;
    renderedStale_ = true;
    update();
    emit drawingChanged();
}

void DrawingCanvas::setHeat(const QImage& heat, const QTransform& gridToPaper) {
    heat_ = heat;
    gridToPaper_ = gridToPaper;
    update();
}

void DrawingCanvas::setHeatOpacity(qreal opacity) {
    heatOpacity_ = opacity;
    update();
}

void DrawingCanvas::setStrokeBlame(int blamedStroke, const QVector<double>& shares) {
    blamedStroke_ = blamedStroke;
    shares_ = shares;
    update();
}

void DrawingCanvas::clear() {
    if (!drawing_.strokes.empty()) undoStack_.push(new ClearCommand(this));
    if (hasBackground()) setBackground({});
}

QImage DrawingCanvas::snapshot() { return grab().toImage(); }

QTransform DrawingCanvas::paperToWidget() const {
    const int side = std::min(width(), height());
    const qreal scale = static_cast<qreal>(side) / oddigit::kPaperSide;
    return QTransform::fromTranslate((width() - side) / 2, (height() - side) / 2).scale(scale, scale);
}

QPointF DrawingCanvas::toPaper(const QPointF& widgetPoint) const { return paperToWidget().inverted().map(widgetPoint); }

const QImage& DrawingCanvas::ink() {
    const qreal ratio = devicePixelRatioF();
    const float scale = static_cast<float>(std::min(width(), height()) * ratio / oddigit::kPaperSide);
    if (renderedStale_ || scale != renderedScale_) {
        rendered_ = oddigit::render_drawing(currentDrawing(), scale);
        renderedScale_ = scale;
        renderedStale_ = false;
    }
    // A view of the rendered pixels, which the pen's new points are drawn into.
    static const QVector<QRgb> colours = screenInkColours();
    inkImage_ = QImage(rendered_.pixels.data(), rendered_.width, rendered_.height, rendered_.width, QImage::Format_Indexed8);
    inkImage_.setColorTable(colours);
    inkImage_.setDevicePixelRatio(ratio);
    return inkImage_;
}

void DrawingCanvas::paintEvent(QPaintEvent*) {
    QPainter painter(this);
    painter.fillRect(rect(), palette().window());
    const QTransform toWidget = paperToWidget();
    const QRectF paper(0, 0, oddigit::kPaperSide, oddigit::kPaperSide);
    painter.drawImage(toWidget.map(QPointF(0, 0)), ink());

    painter.setRenderHint(QPainter::Antialiasing);
    painter.setRenderHint(QPainter::SmoothPixmapTransform);
    if (!heat_.isNull()) {
        painter.save();
        painter.setTransform(toWidget);
        painter.setClipRect(paper);
        painter.setOpacity(heatOpacity_);
        painter.setTransform(gridToPaper_ * toWidget);
        painter.drawImage(QRectF(0, 0, heat_.width(), heat_.height()), heat_);
        painter.restore();
    }
    painter.setTransform(toWidget);
    for (int i = 0; i < static_cast<int>(drawing_.strokes.size()); ++i) {
        if (i != blamedStroke_ && i != hoveredStroke_) continue;
        QPainterPathStroker stroker;
        stroker.setWidth(drawing_.strokes[i].width + 6);
        stroker.setCapStyle(Qt::RoundCap);
        stroker.setJoinStyle(Qt::RoundJoin);
        const QColor colour = i == blamedStroke_ ? kBlamedStrokeColour : palette().highlight().color();
        painter.setPen(QPen(colour, 2.5, i == blamedStroke_ ? Qt::SolidLine : Qt::DashLine));
        painter.setBrush(Qt::NoBrush);
        painter.drawPath(stroker.createStroke(pathOf(drawing_.strokes[i])).simplified());
    }
    painter.resetTransform();
    painter.setPen(palette().mid().color());
    painter.drawRect(toWidget.mapRect(paper).adjusted(0, 0, -1, -1));
}

void DrawingCanvas::beginStroke(const QPointF& paper, float width) {
    drawingStroke_ = true;
    const float x = static_cast<float>(paper.x()), y = static_cast<float>(paper.y());
    current_ = oddigit::PenStroke{{{x, y}, {x + kDotLength, y}}, width};
    if (!renderedStale_) oddigit::draw_stroke(rendered_, current_, renderedScale_);
    update();
    emit drawingChanged();
}

void DrawingCanvas::extendStroke(const QPointF& paper) {
    if (!drawingStroke_) return;
    const auto& last = current_.points.back();
    if (QLineF(QPointF(last[0], last[1]), paper).length() < 0.5) return;
    current_.points.push_back({static_cast<float>(paper.x()), static_cast<float>(paper.y())});
    if (!renderedStale_) oddigit::draw_stroke(rendered_, current_, renderedScale_, current_.points.size() - 1);
    update();
    emit drawingChanged();
}

void DrawingCanvas::endStroke() {
    if (!drawingStroke_) return;
    drawingStroke_ = false;
    undoStack_.push(new AddStrokeCommand(this, current_));
}

int DrawingCanvas::strokeAt(const QPointF& paper) const {
    for (int i = static_cast<int>(drawing_.strokes.size()) - 1; i >= 0; --i) {
        QPainterPathStroker stroker;
        stroker.setWidth(drawing_.strokes[i].width + kHoverSlack);
        if (stroker.createStroke(pathOf(drawing_.strokes[i])).contains(paper)) return i;
    }
    return -1;
}

void DrawingCanvas::mousePressEvent(QMouseEvent* event) {
    if (event->button() == Qt::LeftButton) beginStroke(toPaper(event->position()), penWidth_);
}

void DrawingCanvas::mouseMoveEvent(QMouseEvent* event) {
    const QPointF paper = toPaper(event->position());
    if (drawingStroke_ && (event->buttons() & Qt::LeftButton)) {
        extendStroke(paper);
        return;
    }
    const int hovered = strokeAt(paper);
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
    const QPointF paper = toPaper(event->position());
    switch (event->type()) {
        case QEvent::TabletPress:
            // Pressure scales the pen from half to one and a half times the set width.
            beginStroke(paper, penWidth_ * static_cast<float>(0.5 + event->pressure()));
            break;
        case QEvent::TabletMove:
            extendStroke(paper);
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
