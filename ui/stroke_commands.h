#pragma once
// Undo steps of the drawing canvas: whole strokes, and clearing.
#include <QUndoCommand>

#include "stroke.h"

class DrawingCanvas;

class AddStrokeCommand : public QUndoCommand {
public:
    AddStrokeCommand(DrawingCanvas* canvas, Stroke stroke);
    void undo() override;
    void redo() override;

private:
    DrawingCanvas* canvas_;
    Stroke stroke_;
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
