#pragma once
// The drawing surface: strokes with the mouse or a tablet, undo/redo of whole strokes,
// and the model's view of the drawing painted over it (heatmap, the odd stroke).
#include <QImage>
#include <QPainter>
#include <QTransform>
#include <QUndoStack>
#include <QVector>
#include <QWidget>

#include "stroke.h"

class DrawingCanvas : public QWidget {
    Q_OBJECT
public:
    // Strokes live in a square of this many logical units, whatever the widget's size.
    static constexpr int kLogicalSize = 280;

    explicit DrawingCanvas(QWidget* parent = nullptr);

    QUndoStack* undoStack() { return &undoStack_; }
    const StrokeList& strokes() const { return strokes_; }
    // Replaces the strokes (used by the undo commands) and tells listeners.
    void setStrokes(const StrokeList& strokes);
    // The strokes plus the one being drawn.
    StrokeList currentStrokes() const;
    // A picture under the strokes (a dropped image); a null image removes it.
    void setBackground(const QImage& image);
    const QImage& background() const { return background_; }

    qreal penWidth() const { return penWidth_; }
    void setPenWidth(qreal width) { penWidth_ = width; }

    // Heat as a 28x28 colour image, placed by gridToLogical; a null image hides it.
    void setHeat(const QImage& heat, const QTransform& gridToLogical);
    void setHeatOpacity(qreal opacity);
    // The stroke to outline as the odd one (-1: none), and each stroke's share of the evidence.
    void setStrokeVerdict(int oddStroke, const QVector<double>& shares);
    int oddStroke() const { return oddStroke_; }

    void clear();
    // Draws strokes (minus one, when skipStroke >= 0) over the background: dark ink on
    // white, kLogicalSize square, as the model's preprocessing expects.
    static QImage render(const StrokeList& strokes, const QImage& background, int skipStroke = -1);
    // The canvas as shown, overlay included.
    QImage snapshot();

    QSize sizeHint() const override { return {kLogicalSize * 2, kLogicalSize * 2}; }

signals:
    // Emitted at every stroke movement, undo, redo and clear.
    void drawingChanged();
    void strokeHovered(int index, double share);

protected:
    void paintEvent(QPaintEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void tabletEvent(QTabletEvent* event) override;
    void leaveEvent(QEvent* event) override;

private:
    // Paper, background and strokes in logical coordinates: shared by render() and the screen.
    static void paintPaper(QPainter& painter, const StrokeList& strokes, const QImage& background, const QColor& ink,
                           int skipStroke = -1);
    QTransform logicalToWidget() const;
    QPointF toLogical(const QPointF& widgetPoint) const;
    void beginStroke(const QPointF& logical);
    void extendStroke(const QPointF& logical);
    void endStroke();
    int strokeAt(const QPointF& logical) const;

    StrokeList strokes_;
    Stroke current_;
    bool drawing_ = false;
    QPointF lastPoint_;
    qreal penWidth_ = 18;
    QImage background_;
    QImage heat_;
    QTransform gridToLogical_;
    qreal heatOpacity_ = 0.65;
    int oddStroke_ = -1;
    int hoveredStroke_ = -1;
    QVector<double> shares_;
    QUndoStack undoStack_;
};
