#pragma once
// Shared by the UI test programs: the window each one drives, and a user's hand on it.
#include <QList>
#include <QPointF>
#include <QString>
#include <memory>

#include "live_scorer.h"
#include "test_drawings.h"

class DrawView;
class DrawingCanvas;
class MainWindow;
class QTemporaryDir;
class QWidget;
class TrainView;

namespace ui_test {

// The set-up of a test program that drives the window (call it from initTestCase): settings
// and caches (the t-SNE maps) in test folders of the program's own, emptied so that each run
// starts as a first run and computes the maps (a folder per program, so that programs run side
// by side do not empty each other's); the colour scheme of ODDIGIT_SCREENSHOT_SCHEME; then the
// window, shown at 1280x800 (or at the size it gives itself, with ownSize) with the bundled model
// open. Fails the calling test on a failure.
void openTestWindow(std::unique_ptr<MainWindow>& window, const QString& program, bool ownSize = false);

// Sends a whole stroke through the canvas's mouse handlers; points in paper pixels.
void drawStroke(DrawingCanvas* canvas, const QList<QPointF>& paperPoints);
// A polyline of tests/support/test_drawings.h as the points a mouse passes.
inline QList<QPointF> points(const oddigit::test::Polyline& line) {
    QList<QPointF> list;
    for (const auto& point : line) list << QPointF(point[0], point[1]);
    return list;
}
// Draws a test drawing's strokes on a clean canvas.
void drawDrawing(DrawingCanvas* canvas, const oddigit::test::TestDrawing& drawing);

// Waits until the view shows the answer to the newest drawing sent to the scorer.
DrawingScore settle(DrawView* view);

inline const QList<QPointF> kSevenTop = points(oddigit::test::kSevenTop);
inline const QList<QPointF> kSevenStem = points(oddigit::test::kSevenStem);
// A dense zigzag under the seven: ink no digit has.
inline const QList<QPointF> kScribble = points(oddigit::test::kZigzag);

struct SevenThenScribble {
    DrawingScore seven;         // the two strokes of the seven
    DrawingScore withScribble;  // the same with the scribble as a third stroke
};

// Draws the seven on a clean canvas, then the scribble, scoring each state.
SevenThenScribble drawSevenThenScribble(DrawView* view);

// The bundled model saved under another name with every threshold (both calibrations) times factor: a second
// model that ranks the same but flags differently (a tiny factor flags everything).
QString bundledWithThresholds(const QTemporaryDir& dir, float factor);

// With ODDIGIT_SCREENSHOT_DIR set, the test saves what the window shows at its key moments
// (the README's screenshots come from here), in ODDIGIT_SCREENSHOT_SCHEME's colours
// (system, light or dark; scripts/screenshots.sh takes each at 1x and 2x).
void screenshot(QWidget* window, const QString& name);

// The window's Train view filled in for a quick run on digit 1.
TrainView* prepareRun(MainWindow& window, const QString& outputPath, int ganEpochs, int encoderEpochs, int images);

}  // namespace ui_test
