#pragma once
// The drawing surface: strokes with the mouse or a tablet, undo/redo of whole strokes, and the
// model's view of the drawing painted over it (heatmap, the stroke to blame). It paints what
// the engine's renderer (oddigit/drawing.h) makes of the drawing at the screen's resolution,
// so the ink on screen is the ink the model is given.
#include <QImage>
#include <QTransform>
#include <QUndoStack>
#include <QVector>
#include <QWidget>
#include <vector>

#include "oddigit/drawing.h"

using StrokeList = std::vector<oddigit::PenStroke>;

class DrawingCanvas : public QWidget {
    Q_OBJECT
public:
    explicit DrawingCanvas(QWidget* parent = nullptr);

    QUndoStack* undoStack() { return &undoStack_; }
    const StrokeList& strokes() const { return drawing_.strokes; }
    // Replaces the strokes (used by the undo commands and File > Open) and tells listeners.
    void setStrokes(const StrokeList& strokes);
    // The drawing as it stands: the strokes, the one being drawn, and the opened image under them.
    oddigit::Drawing currentDrawing() const;
    // An image under the strokes (an opened scan); an empty one removes it.
    void setBackground(const oddigit::GrayImage& image);
    bool hasBackground() const { return drawing_.scanned(); }

    float penWidth() const { return penWidth_; }
    void setPenWidth(float width) { penWidth_ = width; }

    // Heat as a 28x28 colour image, placed by gridToLogical; a null image hides it.
    void setHeat(const QImage& heat, const QTransform& gridToLogical);
    void setHeatOpacity(qreal opacity);
    // The stroke to outline as the one to blame (-1: none), and each stroke's share of the blame.
    void setStrokeBlame(int blamedStroke, const QVector<double>& shares);
    int blamedStroke() const { return blamedStroke_; }

    void clear();
    // The canvas as shown, overlay included.
    QImage snapshot();

    QSize sizeHint() const override { return {oddigit::kPaperSide * 2, oddigit::kPaperSide * 2}; }

signals:
    // Emitted at every stroke movement, undo, redo, clear and change of the opened image.
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
    QTransform paperToWidget() const;
    QPointF toPaper(const QPointF& widgetPoint) const;
    // The ink at the widget's resolution, rendered again when the drawing or the size changed.
    const QImage& ink();
    void beginStroke(const QPointF& paper, float width);
    void extendStroke(const QPointF& paper);
    void endStroke();
    int strokeAt(const QPointF& paper) const;

    oddigit::Drawing drawing_;
    oddigit::PenStroke current_;
    bool drawingStroke_ = false;
    float penWidth_ = oddigit::kDefaultPenWidth;
    // The rendered ink and the scale it was rendered at; stale after a change the pen's
    // points cannot be added to.
    oddigit::GrayImage rendered_;
    float renderedScale_ = 0;
    bool renderedStale_ = true;
    QImage inkImage_;
    QImage heat_;
    QTransform gridToPaper_;
    qreal heatOpacity_ = 0.65;
    int blamedStroke_ = -1;
    int hoveredStroke_ = -1;
    QVector<double> shares_;
    QUndoStack undoStack_;
};
