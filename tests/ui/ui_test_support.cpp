#include "ui_test_support.h"

#include <QApplication>
#include <QDir>
#include <QMouseEvent>
#include <QSettings>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>

#include "appearance.h"
#include "draw_view.h"
#include "drawing_canvas.h"
#include "main_window.h"
#include "oddigit/model.h"
#include "test_support.h"
#include "train_view.h"

namespace ui_test {

void openTestWindow(std::unique_ptr<MainWindow>& window, const QString& program, bool ownSize) {
    QApplication::setOrganizationName("OddigitTest");
    QApplication::setApplicationName("OddigitTest-" + program);
    QStandardPaths::setTestModeEnabled(true);
    QSettings().clear();
    QDir(QStandardPaths::writableLocation(QStandardPaths::CacheLocation)).removeRecursively();
    appearance::apply(appearance::parse(qEnvironmentVariable("ODDIGIT_SCREENSHOT_SCHEME")).value_or(ColorScheme::System));
    window = std::make_unique<MainWindow>();
    if (!ownSize) window->resize(1280, 800);
    window->show();
    QVERIFY(QTest::qWaitForWindowExposed(window.get()));
    QVERIFY(window->openModel(QString::fromStdString(oddigit::test::fixture_model_path()), true));
}

void drawStroke(DrawingCanvas* canvas, const QList<QPointF>& paperPoints) {
    const int side = std::min(canvas->width(), canvas->height());
    const qreal scale = static_cast<qreal>(side) / oddigit::kPaperSide;
    const QPointF origin((canvas->width() - side) / 2, (canvas->height() - side) / 2);
    auto send = [&](QEvent::Type type, const QPointF& paper, Qt::MouseButtons buttons) {
        const QPointF position = origin + paper * scale;
        QMouseEvent event(type, position, canvas->mapToGlobal(position), Qt::LeftButton, buttons, Qt::NoModifier);
        QApplication::sendEvent(canvas, &event);
    };
    send(QEvent::MouseButtonPress, paperPoints.first(), Qt::LeftButton);
    for (int i = 1; i < paperPoints.size(); ++i) {
        // Fill in between the points, as a real mouse reports many small moves.
        const QPointF from = paperPoints[i - 1], to = paperPoints[i];
        for (int k = 1; k <= 8; ++k) send(QEvent::MouseMove, from + (to - from) * (k / 8.0), Qt::LeftButton);
    }
    send(QEvent::MouseButtonRelease, paperPoints.last(), Qt::NoButton);
}

void drawDrawing(DrawingCanvas* canvas, const oddigit::test::TestDrawing& drawing) {
    canvas->clear();
    for (const oddigit::test::Polyline& line : drawing.strokes) drawStroke(canvas, points(line));
}

DrawingScore settle(DrawView* view) {
    const bool answered = QTest::qWaitFor([view] { return view->lastScore().request == view->latestRequest(); }, 30000);
    if (!answered) qWarning("the scorer did not answer request %llu", view->latestRequest());
    return view->lastScore();
}

SevenThenScribble drawSevenThenScribble(DrawView* view) {
    view->canvas()->clear();
    drawStroke(view->canvas(), kSevenTop);
    drawStroke(view->canvas(), kSevenStem);
    SevenThenScribble scores;
    scores.seven = settle(view);
    drawStroke(view->canvas(), kScribble);
    scores.withScribble = settle(view);
    return scores;
}

QString bundledWithThresholds(const QTemporaryDir& dir, float factor) {
    oddigit::AnomalyModel model = oddigit::AnomalyModel::load(oddigit::test::fixture_model_path());
    oddigit::ModelInfo& info = model.info();
    info.mnist.stroke *= factor;
    info.mnist.shape *= factor;
    info.canvas.stroke *= factor;
    info.canvas.shape *= factor;
    info.mnist.update_validation_scores();
    info.canvas.update_validation_scores();
    const QString path = dir.filePath(QString("thresholds-%1.safetensors").arg(factor));
    model.save(path.toStdString());
    return path;
}

void screenshot(QWidget* window, const QString& name) {
    const QString dir = qEnvironmentVariable("ODDIGIT_SCREENSHOT_DIR");
    if (dir.isEmpty()) return;
    QTest::qWait(200);
    window->grab().save(dir + "/" + name + ".png");
}

TrainView* prepareRun(MainWindow& window, const QString& outputPath, int ganEpochs, int encoderEpochs, int images) {
    TrainView* view = window.trainView();
    view->setOutputPath(outputPath);
    view->setEpochs(ganEpochs, encoderEpochs);
    view->setNormalClasses("1");
    view->setTrainingLimit(images);
    return view;
}

}  // namespace ui_test
