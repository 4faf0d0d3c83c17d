#pragma once
// Undo steps of the drawing canvas: whole strokes, and clearing.
#include <QUndoCommand>

#include "drawing_canvas.h"

class AddStrokeCommand : public QUndoCommand {
public:
    AddStrokeCommand(DrawingCanvas* canvas, oddigit::PenStroke stroke);
    void undo() override;
    void redo() override;

private:
    DrawingCanvas* canvas_;
    oddigit::PenStroke stroke_;
};

class ClearCommand : public QUndoCommand {
public:
    explicit ClearCommand(DrawingCanvas* canvas);
    void undo() override;
    void redo() override;

private:
    DrawingCanvas* canvas_;
    StrokeList strokes_;
};
