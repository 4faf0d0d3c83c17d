#include "stroke_commands.h"

#include "drawing_canvas.h"

AddStrokeCommand::AddStrokeCommand(DrawingCanvas* canvas, oddigit::PenStroke stroke)
    : QUndoCommand(QObject::tr("Stroke")), canvas_(canvas), stroke_(std::move(stroke)) {}

void AddStrokeCommand::redo() {
    StrokeList strokes = canvas_->strokes();
    strokes.push_back(stroke_);
    canvas_->setStrokes(strokes);
}

void AddStrokeCommand::undo() {
    StrokeList strokes = canvas_->strokes();
    strokes.pop_back();
    canvas_->setStrokes(strokes);
}

ClearCommand::ClearCommand(DrawingCanvas* canvas)
    : QUndoCommand(QObject::tr("Clear")), canvas_(canvas), strokes_(canvas->strokes()) {}

void ClearCommand::redo() { canvas_->setStrokes({}); }

void ClearCommand::undo() { canvas_->setStrokes(strokes_); }
