// The window as a whole, driven like a user would: the keyboard alone, plot export, and the
// colour schemes.
#include <QApplication>
#include <QFile>
#include <QPalette>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>
#include <qcustomplot.h>

#include <optional>

#include "appearance.h"
#include "draw_view.h"
#include "drawing_canvas.h"
#include "explore/explore_view.h"
#include "main_window.h"
#include "plot_export.h"
#include "train_view.h"
#include "training_worker.h"
#include "ui_test_support.h"

using namespace ui_test;

class MainWindowTest : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { openTestWindow(window_, "main_window"); }

    // The whole flow from the keyboard: switch views, clear the canvas, start and stop training.
    void aKeyboardUserCanSwitchViewsClearAndTrain() {
        window_->activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(window_.get()));
        QTest::keyClick(window_.get(), Qt::Key_3, Qt::ControlModifier);
        QCOMPARE(window_->tabs()->currentWidget(), window_->exploreView());
        QTest::keyClick(window_.get(), Qt::Key_1, Qt::ControlModifier);
        QCOMPARE(window_->tabs()->currentWidget(), window_->drawView());
        drawStroke(window_->drawView()->canvas(), kSevenTop);
        QVERIFY(!window_->drawView()->canvas()->currentDrawing().strokes.empty());
        QTest::keyClick(window_.get(), Qt::Key_Backspace, Qt::ControlModifier);
        QVERIFY(window_->drawView()->canvas()->currentDrawing().strokes.empty());

        QTemporaryDir dir;
        TrainView* view = prepareRun(dir.filePath("keyboard.safetensors"), 20, 1, 2000);
        QTest::keyClick(window_.get(), Qt::Key_2, Qt::ControlModifier);
        QCOMPARE(window_->tabs()->currentWidget(), view);
        QSignalSpy finished(&view->worker(), &TrainingWorker::finished);
        QTest::keyClick(window_.get(), Qt::Key_F5);
        QTRY_VERIFY(view->isTraining());  // a button's shortcut clicks it after a short animation
        QTest::keyClick(window_.get(), Qt::Key_F5, Qt::ShiftModifier);
        QVERIFY(finished.wait(60000));
        QVERIFY(!view->isTraining());
        QTest::keyClick(window_.get(), Qt::Key_1, Qt::ControlModifier);
    }

    // Every plot exports as PNG, SVG and PDF (its context menu calls the same function).
    void plotsExportAsPngSvgAndPdf() {
        QCustomPlot* map = window_->exploreView()->findChild<QCustomPlot*>();
        QVERIFY(map);
        QTemporaryDir dir;
        const QList<QPair<plot_export::Format, QByteArray>> formats = {
            {plot_export::Format::Png, "\x89PNG"}, {plot_export::Format::Svg, "<?xml"}, {plot_export::Format::Pdf, "%PDF"}};
        for (const auto& [format, magic] : formats) {
            const QString path = dir.filePath("plot");
            QCOMPARE(plot_export::save(map, path, format), QString());
            QFile file(path);
            QVERIFY(file.open(QIODevice::ReadOnly));
            QVERIFY2(file.read(magic.size()) == magic, qPrintable(path));
            file.remove();
        }
        QVERIFY(!plot_export::save(map, dir.filePath("missing-folder/plot.png"), plot_export::Format::Png).isEmpty());
    }

    // View > Colours: the dark scheme darkens the windows and the plots with them, and the
    // system scheme brings the desktop's colours back.
    void plotsFollowTheColourScheme() {
        const ColorScheme before = appearance::current();
        QCustomPlot* map = window_->exploreView()->findChild<QCustomPlot*>();
        window_->tabs()->setCurrentWidget(window_->exploreView());
        // The palette reaches the widgets through posted events.
        const auto plotCorner = [map] { return map->grab().toImage().pixelColor(2, 2).lightness(); };
        appearance::apply(ColorScheme::Dark);
        QApplication::processEvents();
        QVERIFY(window_->palette().color(QPalette::Window).lightness() < 80);
        QVERIFY2(plotCorner() < 80, qPrintable(QString::number(plotCorner())));
        appearance::apply(ColorScheme::Light);
        QApplication::processEvents();
        QVERIFY(window_->palette().color(QPalette::Window).lightness() > 180);
        QVERIFY2(plotCorner() > 180, qPrintable(QString::number(plotCorner())));
        appearance::apply(ColorScheme::System);
        QCOMPARE(appearance::current(), ColorScheme::System);
        QCOMPARE(appearance::parse("dark"), std::optional<ColorScheme>(ColorScheme::Dark));
        QVERIFY(!appearance::parse("purple"));
        appearance::apply(before);
    }

    void cleanupTestCase() { window_.reset(); }

private:
    // The Train view filled in for a quick run on digit 1.
    TrainView* prepareRun(const QString& outputPath, int ganEpochs, int encoderEpochs, int images) {
        return ui_test::prepareRun(*window_, outputPath, ganEpochs, encoderEpochs, images);
    }

    std::unique_ptr<MainWindow> window_;
};

QTEST_MAIN(MainWindowTest)
#include "main_window_test.moc"
