// The desktop app driven like a user would: mouse strokes, undo, a training run, the
// explorer, and a bad file dropped on the window.
#include <QAbstractButton>
#include <QApplication>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QDialog>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QLabel>
#include <QMessageBox>
#include <QMimeData>
#include <QProgressBar>
#include <QPushButton>
#include <QMouseEvent>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QThread>
#include <QUrl>

#include <atomic>
#include <stdexcept>

#include "appearance.h"
#include "background_job.h"
#include "image_conversions.h"
#include "oddigit/drawn.h"
#include "draw_view.h"
#include "drawing_canvas.h"
#include "explore_view.h"
#include "loss_plot.h"
#include "main_window.h"
#include "mnist_dialog.h"
#include "plot_export.h"
#include <qcustomplot.h>
#include "model_store.h"
#include "oddigit/safetensors.h"
#include "oddigit/train.h"
#include "test_support.h"
#include "train_view.h"
#include "training_worker.h"

namespace {

// Sends a whole stroke through the canvas's mouse handlers; points in logical units.
void drawStroke(DrawingCanvas* canvas, const QList<QPointF>& logicalPoints) {
    const qreal side = std::min(canvas->width(), canvas->height());
    const qreal scale = side / DrawingCanvas::kLogicalSize;
    const QPointF origin((canvas->width() - side) / 2, (canvas->height() - side) / 2);
    auto send = [&](QEvent::Type type, const QPointF& logical, Qt::MouseButtons buttons) {
        const QPointF position = origin + logical * scale;
        QMouseEvent event(type, position, canvas->mapToGlobal(position), Qt::LeftButton, buttons, Qt::NoModifier);
        QApplication::sendEvent(canvas, &event);
    };
    send(QEvent::MouseButtonPress, logicalPoints.first(), Qt::LeftButton);
    for (int i = 1; i < logicalPoints.size(); ++i) {
        // Fill in between the points, as a real mouse reports many small moves.
        const QPointF from = logicalPoints[i - 1], to = logicalPoints[i];
        for (int k = 1; k <= 8; ++k) send(QEvent::MouseMove, from + (to - from) * (k / 8.0), Qt::LeftButton);
    }
    send(QEvent::MouseButtonRelease, logicalPoints.last(), Qt::NoButton);
}

// Waits until the view shows the answer to the newest drawing sent to the scorer.
DrawingScore settle(DrawView* view) {
    const bool answered = QTest::qWaitFor([view] { return view->lastScore().request == view->latestRequest(); }, 30000);
    if (!answered) qWarning("the scorer did not answer request %llu", view->latestRequest());
    return view->lastScore();
}

const QList<QPointF> kSevenTop = {{80, 60}, {200, 60}};
const QList<QPointF> kSevenStem = {{200, 60}, {160, 140}, {125, 225}};
// A dense zigzag under the seven: ink no digit has.
const QList<QPointF> kScribble = {{40, 250}, {70, 215}, {90, 265}, {115, 215}, {140, 265},
                                  {165, 215}, {190, 265}, {215, 215}, {240, 265}};

struct SevenThenScribble {
    DrawingScore seven;         // the two strokes of the seven
    DrawingScore withScribble;  // the same with the scribble as a third stroke
};

// Draws the seven on a clean canvas, then the scribble, scoring each state.
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

// The bundled model saved under another name with another threshold: a second model that
// scores the same but flags differently.
QString bundledWithThreshold(const QTemporaryDir& dir, float threshold) {
    oddigit::AnomalyModel model = oddigit::AnomalyModel::load(oddigit::test::fixture_model_path());
    model.info().threshold = threshold;
    const QString path = dir.filePath(QString("threshold-%1.safetensors").arg(threshold));
    model.save(path.toStdString());
    return path;
}

// With ODDIGIT_SCREENSHOT_DIR set, the test saves what the window shows at its key moments
// (the README's screenshots come from here), in ODDIGIT_SCREENSHOT_SCHEME's colours
// (system, light or dark; scripts/screenshots.sh takes each at 1x and 2x).
void screenshot(QWidget* window, const QString& name) {
    const QString dir = qEnvironmentVariable("ODDIGIT_SCREENSHOT_DIR");
    if (dir.isEmpty()) return;
    QTest::qWait(200);
    window->grab().save(dir + "/" + name + ".png");
}

}  // namespace

class MainWindowTest : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() {
        QApplication::setOrganizationName("OddigitTest");
        QApplication::setApplicationName("OddigitTest");
        // Settings and caches (the t-SNE maps) go to test folders, emptied so that each run
        // starts as a first run and computes the maps.
        QStandardPaths::setTestModeEnabled(true);
        QSettings().clear();
        QDir(QStandardPaths::writableLocation(QStandardPaths::CacheLocation)).removeRecursively();
        appearance::apply(appearance::parse(qEnvironmentVariable("ODDIGIT_SCREENSHOT_SCHEME")).value_or(ColorScheme::System));
        window_ = std::make_unique<MainWindow>();
        window_->resize(1280, 800);
        window_->show();
        QVERIFY(QTest::qWaitForWindowExposed(window_.get()));
        QVERIFY(window_->openModel(QString::fromStdString(oddigit::test::fixture_model_path()), true));
    }

    // The epoch boxes start at the engine's default, 0, shown as a word and not as "0 epochs".
    void theEpochBoxesStartAtTheDefault() {
        int defaults = 0;
        for (const QSpinBox* box : window_->trainView()->findChildren<QSpinBox*>())
            if (box->specialValueText() == "Default") {
                QCOMPARE(box->value(), 0);
                QCOMPARE(box->text(), QString("Default"));
                ++defaults;
            }
        QCOMPARE(defaults, 2);
        QWidget* shown = window_->tabs()->currentWidget();
        window_->tabs()->setCurrentWidget(window_->trainView());
        screenshot(window_.get(), "train-defaults");
        window_->tabs()->setCurrentWidget(shown);
    }

    void strokesGiveAScoreAndAHeatmapHotUnderTheStrokes() {
        DrawView* view = window_->drawView();
        view->canvas()->clear();
        drawStroke(view->canvas(), kSevenTop);
        drawStroke(view->canvas(), kSevenStem);
        const DrawingScore result = settle(view);
        QVERIFY(!result.blank);
        QVERIFY(result.score.score > 0);
        QCOMPARE(result.scoreWithout.size(), 2);
        double underInk = 0, blank = 0;
        int inkPixels = 0, blankPixels = 0;
        for (int p = 0; p < oddigit::kImagePixels; ++p) {
            if (result.input[p] > 0.5f) {
                underInk += result.score.heatmap[p];
                ++inkPixels;
            } else if (result.input[p] == 0.0f && result.score.reconstruction[p] < 0.1f) {
                blank += result.score.heatmap[p];
                ++blankPixels;
            }
        }
        QVERIFY(inkPixels > 20);
        QVERIFY2(underInk / inkPixels > 10 * blank / std::max(1, blankPixels),
                 qPrintable(QString("heat under ink %1, on blank paper %2").arg(underInk / inkPixels).arg(blank / blankPixels)));
        qInfo("Draw view: preprocessing and scoring took %.1f ms", result.milliseconds);
        QVERIFY(result.milliseconds < 1000);
    }

    void undoRestoresThePreviousScore() {
        DrawView* view = window_->drawView();
        const auto [before, after] = drawSevenThenScribble(view);
        QVERIFY(after.score.score != before.score.score);
        view->canvas()->undoStack()->undo();
        QCOMPARE(settle(view).score.score, before.score.score);
        view->canvas()->undoStack()->redo();
        QCOMPARE(settle(view).score.score, after.score.score);
    }

    void trainingFeedsTheLossPlotStaysResponsiveAndCancels() {
        QTemporaryDir dir;
        TrainView* view = prepareRun(dir.filePath("gui-model.safetensors"), 30, 1, 2000);
        // Measure the longest gap between event-loop turns while training runs.
        QElapsedTimer clock;
        qint64 last = 0, longestStall = 0;
        QTimer probe;
        probe.setInterval(5);
        connect(&probe, &QTimer::timeout, [&] {
            const qint64 now = clock.elapsed();
            if (last > 0) longestStall = std::max(longestStall, now - last);
            last = now;
        });
        view->start();
        QVERIFY(view->isTraining());
        QTRY_VERIFY_WITH_TIMEOUT(view->lossPlot()->pointCount(LossPlot::Discriminator) > 0, 60000);
        clock.start();
        probe.start();
        window_->tabs()->setCurrentWidget(view);
        QTest::qWait(3000);
        probe.stop();
        screenshot(window_.get(), "train");
        const int points = view->lossPlot()->pointCount(LossPlot::Discriminator);
        QTRY_VERIFY_WITH_TIMEOUT(view->lossPlot()->pointCount(LossPlot::Discriminator) > points, 30000);
        // The Draw view keeps answering while training runs: from the end of a stroke to its
        // score on screen (the strokes' events themselves included).
        DrawView* draw = window_->drawView();
        QVector<double> answers;
        for (int i = 0; i < 20; ++i) {
            draw->canvas()->clear();
            QElapsedTimer answer;
            answer.start();
            drawStroke(draw->canvas(), kSevenTop);
            settle(draw);
            answers << answer.nsecsElapsed() / 1e6;
        }
        std::sort(answers.begin(), answers.end());
        qInfo("Draw view answers while training: p50 %.1f ms, p95 %.1f ms", answers[10], answers[18]);
        QVERIFY2(answers[18] < 250, qPrintable(QString("p95 %1 ms").arg(answers[18])));

        // Cancel mid-epoch, after at least one finished epoch: that epoch stays resumable.
        QSignalSpy epochs(&view->worker(), &TrainingWorker::epochDone);
        QVERIFY(epochs.count() > 0 || epochs.wait(60000));
        QSignalSpy finished(&view->worker(), &TrainingWorker::finished);
        view->worker().cancel();
        QVERIFY(finished.wait(30000));
        QCOMPARE(finished.first().at(0).toBool(), false);
        const std::string resumeFile = oddigit::resume_path(dir.filePath("gui-model.safetensors").toStdString());
        const oddigit::safetensors::File resume = oddigit::safetensors::read(resumeFile);
        QVERIFY(std::stoi(resume.metadata.at("oddigit.resume.gan_epochs_done")) >= 1);
        QVERIFY(!view->isTraining());
        QVERIFY(QFile::exists(dir.filePath("gui-model.safetensors.metrics.csv")));
        qInfo("longest event-loop stall while training: %lld ms", longestStall);
        QVERIFY2(longestStall < 250, qPrintable(QString("stalled %1 ms").arg(longestStall)));
    }

    // Opened for the first time with MNIST at hand, Explore scores the test set by itself;
    // until then its plots say what will appear in them.
    void explorerScoresByItselfWhenFirstOpened() {
        ExploreView* view = window_->exploreView();
        QVERIFY(!view->isScoring());
        QCOMPARE(view->flaggedCount(), 0);
        screenshot(view, "explore-empty");
        QSignalSpy done(view, &ExploreView::scoringFinished);
        // MNIST loads in the background pass: showing the view only checks the files' headers.
        QElapsedTimer shown;
        shown.start();
        window_->tabs()->setCurrentWidget(view);
        QVERIFY2(shown.elapsed() < 400, qPrintable(QString::number(shown.elapsed())));
        QVERIFY(view->isScoring());
        QVERIFY(done.wait(120000));
        QVERIFY(view->flaggedCount() > 0);
        window_->tabs()->setCurrentWidget(window_->drawView());
    }

    // The whole flow from the keyboard: switch views, clear the canvas, start and stop training.
    void aKeyboardUserCanSwitchViewsClearAndTrain() {
        window_->activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(window_.get()));
        QTest::keyClick(window_.get(), Qt::Key_3, Qt::ControlModifier);
        QCOMPARE(window_->tabs()->currentWidget(), window_->exploreView());
        QTest::keyClick(window_.get(), Qt::Key_1, Qt::ControlModifier);
        QCOMPARE(window_->tabs()->currentWidget(), window_->drawView());
        drawStroke(window_->drawView()->canvas(), kSevenTop);
        QVERIFY(!window_->drawView()->canvas()->currentStrokes().isEmpty());
        QTest::keyClick(window_.get(), Qt::Key_Backspace, Qt::ControlModifier);
        QVERIFY(window_->drawView()->canvas()->currentStrokes().isEmpty());

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

    // An earlier run's metrics CSV draws faintly beside the live curves; a file of another
    // kind is refused with the reason.
    void theLossPlotOverlaysAnEarlierRun() {
        QTemporaryDir dir;
        QFile csv(dir.filePath("earlier.safetensors.metrics.csv"));
        QVERIFY(csv.open(QIODevice::WriteOnly | QIODevice::Text));
        csv.write("phase,epoch,step,global_step,d_loss,g_loss,d_real,d_fake,e_loss,images_per_second,digit_loss\n"
                  "GAN,1,5,5,2.1,0.4,0.3,-0.2,0,900,1.2\n"
                  "GAN,1,10,10,1.9,0.5,0.4,-0.3,0,910,1.0\n"
                  "encoder,1,5,15,0,0,0,0,0.05,1200,0\n"
                  "encoder,1,10,20,0,0,0,0,0.04,1210");  // a line cut short by a kill is skipped
        csv.close();
        LossPlot plot;
        QCOMPARE(plot.loadOverlay(csv.fileName()), QString());
        QCOMPARE(plot.overlayPointCount(LossPlot::Discriminator), 2);
        QCOMPARE(plot.overlayPointCount(LossPlot::DigitHead), 2);
        QCOMPARE(plot.overlayPointCount(LossPlot::Encoder), 1);
        plot.resize(640, 360);
        for (int step = 1; step <= 20; ++step)
            plot.addPoint(step <= 10 ? LossPlot::Discriminator : LossPlot::Encoder, step, step / 10.0,
                          step <= 10 ? 2.0 - 0.03 * step : 0.06 - 0.001 * step);
        screenshot(&plot, "loss-overlay");
        QVERIFY(plot.loadOverlay(QString::fromStdString(oddigit::test::fixture_model_path())).contains("not a training metrics file"));
        QVERIFY(!plot.loadOverlay(dir.filePath("missing.csv")).isEmpty());
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

    void explorerListsFlaggedImages() {
        ExploreView* view = window_->exploreView();
        QSignalSpy done(view, &ExploreView::scoringFinished);
        QSignalSpy mapped(view, &ExploreView::tsneMapReady);
        view->scoreTestSet();
        QVERIFY(done.wait(120000));
        // The t-SNE map follows in the background; a second visit with the model reads it back.
        QVERIFY(mapped.wait(120000));
        QCOMPARE(mapped.last().at(0).toBool(), false);
        window_->tabs()->setCurrentWidget(view);
        screenshot(window_.get(), "explore");
        view->setModel(window_->modelStore()->model());
        view->scoreTestSet();
        QVERIFY(done.wait(120000));
        QVERIFY(mapped.count() == 2 || mapped.wait(5000));
        QCOMPARE(mapped.last().at(0).toBool(), true);
        const int flagged = view->flaggedCount();
        QVERIFY2(flagged > 100 && flagged < 5000, qPrintable(QString::number(flagged)));
        view->setThreshold(view->currentThreshold() * 1000);
        QCOMPARE(view->flaggedCount(), 0);
        view->setThreshold(0);
        QCOMPARE(view->flaggedCount(), 10000);
        view->setThreshold(window_->modelStore()->model()->info().threshold);
        QTemporaryDir dir;
        QCOMPARE(view->exportFlagged(dir.filePath("flagged.csv")), QString());
        QFile csv(dir.filePath("flagged.csv"));
        QVERIFY(csv.open(QIODevice::ReadOnly));
        QCOMPARE(csv.readAll().count('\n'), flagged + 1);
    }

    // One colormap for every heatmap: Viridis unless the user chose another in the Draw view,
    // and an unknown name in the settings falls back to it.
    void oneColormapChosenInDrawServesEveryHeatmap() {
        QComboBox* colormaps = nullptr;
        for (QComboBox* box : window_->drawView()->findChildren<QComboBox*>())
            if (box->findText("Hot") >= 0) colormaps = box;
        QVERIFY(colormaps);
        const QString before = colormaps->currentText();
        colormaps->setCurrentText("Hot");
        QCOMPARE(image_conversions::chosenColormapName(), QString("Hot"));
        image_conversions::chooseColormap("Nonsense");
        QCOMPARE(image_conversions::chosenColormapName(), image_conversions::colormapNames().first());
        QVERIFY(image_conversions::colormapNames().first().startsWith("Viridis"));
        colormaps->setCurrentText(before);
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

    // Hostile files dropped on the window: each gives an error dialog naming the file, and the
    // model open before keeps working.
    void droppingHostileFilesShowsAnErrorAndKeepsTheModel_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QByteArray>("content");
        QTest::addColumn<QString>("reason");
        QTest::newRow("text named .png") << "notes.png" << QByteArray("this is not a picture") << "cannot read";
        QFile bundled(QString::fromStdString(oddigit::test::fixture_model_path()));
        QVERIFY(bundled.open(QIODevice::ReadOnly));
        const QByteArray model = bundled.readAll();
        QTest::newRow("truncated model") << "half.safetensors" << model.left(model.size() / 2) << "half.safetensors";
        QTest::newRow("foreign safetensors") << "foreign.safetensors"
                                             << QByteArray::fromHex("0e00000000000000") + QByteArray("{\"a\":\"b\"}  ")
                                             << "foreign.safetensors";
        // A PNG header that claims 100000 x 100000 pixels and holds none.
        QTest::newRow("huge image") << "huge.png"
                                    << QByteArray::fromHex("89504e470d0a1a0a0000000d49484452000186a0000186a008000000008d395414"
                                                          "0000000b49444154789c63604005000010000139bd8f65"
                                                          "0000000049454e44ae426082")
                                    << "too large";
        QTest::newRow("folder") << "a-folder" << QByteArray() << "a-folder";
    }

    void droppingHostileFilesShowsAnErrorAndKeepsTheModel() {
        QFETCH(QString, name);
        QFETCH(QByteArray, content);
        QFETCH(QString, reason);
        QTemporaryDir dir;
        const QString path = dir.filePath(name);
        if (name == "a-folder") {
            QVERIFY(QDir().mkdir(path));
        } else {
            QFile file(path);
            QVERIFY(file.open(QIODevice::WriteOnly));
            file.write(content);
        }
        const auto before = window_->modelStore()->model();
        QMimeData mime;
        mime.setUrls({QUrl::fromLocalFile(path)});
        // The error dialog is modal: close it as a user would, and check it was shown.
        bool dialogShown = false;
        QTimer::singleShot(300, [&] {
            if (QWidget* dialog = QApplication::activeModalWidget()) {
                dialogShown = true;
                dialog->close();
            }
        });
        QDragEnterEvent enter(QPoint(100, 100), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(window_.get(), &enter);
        QVERIFY(enter.isAccepted());
        QDropEvent drop(QPointF(100, 100), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(window_.get(), &drop);
        QVERIFY(dialogShown);
        QVERIFY2(window_->lastError().contains(reason), qPrintable(window_->lastError()));
        QVERIFY(window_->isVisible());
        QCOMPARE(window_->modelStore()->model(), before);
        // The app still scores after the error.
        DrawView* view = window_->drawView();
        view->canvas()->clear();
        drawStroke(view->canvas(), kSevenTop);
        QVERIFY(!settle(view).blank);
    }

    // A model switch while a drawing is being scored: no answer computed for the old model
    // shows under the new one (here one that flags everything).
    void aModelSwitchDropsAnswersForTheOldModel() {
        QTemporaryDir dir;
        const QString original = window_->modelStore()->path();
        DrawView* view = window_->drawView();
        view->canvas()->clear();
        settle(view);
        QList<bool> verdictsAfterSwitch;
        QSignalSpy spy(view, &DrawView::scoredDrawing);
        drawStroke(view->canvas(), kSevenTop);
        drawStroke(view->canvas(), kSevenStem);
        QVERIFY(window_->openModel(bundledWithThreshold(dir, 0.0f), true));
        spy.clear();
        settle(view);
        QTest::qWait(200);
        QVERIFY(spy.count() > 0);
        for (const QList<QVariant>& answer : spy) QVERIFY(answer.at(0).value<DrawingScore>().flagged);
        QVERIFY(window_->openModel(original, true));
    }

    // The pass over the test set has scored its last image when the model changes: what it
    // computed for the old model is dropped, not shown under the new model's threshold.
    void explorerDropsAPassForAModelNoLongerOpen() {
        QTemporaryDir dir;
        const QString original = window_->modelStore()->path();
        const QString other = bundledWithThreshold(dir, 123.0f);
        ExploreView* view = window_->exploreView();
        auto* progress = view->findChild<QProgressBar*>();
        QVERIFY(progress);
        QSignalSpy finished(view, &ExploreView::scoringFinished);
        bool switched = false;
        const auto connection = connect(progress, &QProgressBar::valueChanged, this, [&](int value) {
            if (value < 10000 || switched) return;
            switched = true;
            QVERIFY(window_->openModel(other, true));
        });
        view->scoreTestSet();
        QTRY_VERIFY_WITH_TIMEOUT(switched, 120000);
        disconnect(connection);
        QTest::qWait(1000);
        QCOMPARE(finished.count(), 0);
        QCOMPARE(view->flaggedCount(), 0);
        QVERIFY(!view->isScoring());
        QVERIFY(window_->openModel(original, true));
    }

    // The detail window is scored in the background and opens when ready.
    void explorerDetailOpensForAnImage() {
        ExploreView* view = window_->exploreView();
        QSignalSpy done(view, &ExploreView::scoringFinished);
        view->scoreTestSet();
        QVERIFY(done.wait(120000));
        QSignalSpy shown(view, &ExploreView::detailShown);
        view->showDetail(7);
        QVERIFY(shown.wait(10000));
        auto* dialog = view->findChild<QDialog*>();
        QVERIFY(dialog);
        QCOMPARE(dialog->windowTitle(), QString("Test image 7"));
        dialog->close();
    }

    // Start with the path of an earlier run asks first; "Use a new name" leaves that run be.
    void startingOverAnEarlierRunAsksAndCanUseANewName() {
        QTemporaryDir dir;
        const QString earlier = dir.filePath("earlier.safetensors");
        QVERIFY(QFile::copy(QString::fromStdString(oddigit::test::fixture_model_path()), earlier));
        const QByteArray before = [&] { QFile f(earlier); f.open(QIODevice::ReadOnly); return f.readAll(); }();
        TrainView* view = prepareRun(earlier, 1, 1, 256);
        bool asked = false;
        QTimer::singleShot(300, [&] {
            auto* question = qobject_cast<QMessageBox*>(QApplication::activeModalWidget());
            if (!question) return;
            asked = true;
            for (QAbstractButton* button : question->buttons())
                if (button->text() == "Use a new name") button->click();
        });
        view->start();
        QVERIFY(asked);
        QVERIFY(view->isTraining());
        QSignalSpy finished(&view->worker(), &TrainingWorker::finished);
        QVERIFY(finished.wait(120000));
        QCOMPARE(finished.first().at(1).toString(), dir.filePath("earlier-2.safetensors"));
        QVERIFY(QFile::exists(dir.filePath("earlier-2.safetensors")));
        QFile kept(earlier);
        QVERIFY(kept.open(QIODevice::ReadOnly));
        QCOMPARE(kept.readAll(), before);
    }

    // Without MNIST in the app's folder, Start offers to download it or to choose a folder;
    // cancelling starts nothing. Choosing the folder that holds it is remembered.
    void trainingWithoutMnistOffersToFetchIt() {
        QTemporaryDir empty;
        QSettings().setValue("mnist/folder", empty.path());
        TrainView* view = prepareRun(empty.filePath("model.safetensors"), 1, 1, 256);
        QString offered;
        QTimer::singleShot(300, [&] {
            auto* dialog = qobject_cast<MnistDialog*>(QApplication::activeModalWidget());
            if (!dialog) return;
            for (QLabel* label : dialog->findChildren<QLabel*>()) offered += label->text();
            screenshot(dialog, "mnist-dialog");
            for (QPushButton* button : dialog->findChildren<QPushButton*>())
                if (button->text() == "Cancel") button->click();
        });
        view->start();
        QSettings().remove("mnist/folder");
        QVERIFY2(offered.contains("Download") && offered.contains(empty.path()), qPrintable(offered));
        QVERIFY(!view->isTraining());
        QCOMPARE(MnistDialog::folder(), QString::fromStdString(oddigit::default_mnist_dir()));
    }

    // A run plots with the settings it started with, whatever the form says later, and a
    // second Start while it runs neither starts nor clears anything.
    void aRunKeepsTheSettingsItStartedWith() {
        QTemporaryDir dir;
        TrainView* view = prepareRun(dir.filePath("snapshot.safetensors"), 1, 1, 640);
        QSignalSpy finished(&view->worker(), &TrainingWorker::finished);
        // Between the phases the density's fit shows its own progress (queued after the view's
        // own slot, so the bar already shows it).
        QString densityText;
        connect(
            &view->worker(), &TrainingWorker::progressed, view,
            [&](const oddigit::TrainProgress& p) {
                if (p.phase == oddigit::TrainPhase::Density) densityText = view->findChild<QProgressBar*>()->format();
            },
            Qt::QueuedConnection);
        auto* corruption = view->findChild<QDoubleSpinBox*>("encoderCorruption");
        QVERIFY(corruption);
        QCOMPARE(corruption->value(), double(oddigit::TrainParams().encoder_corruption));
        corruption->setValue(0.25);
        view->start();
        QVERIFY(view->isTraining());
        corruption->setValue(0.75);
        view->setEpochs(50, 1);
        QTRY_VERIFY_WITH_TIMEOUT(view->lossPlot()->pointCount(LossPlot::Discriminator) > 0, 60000);
        const int points = view->lossPlot()->pointCount(LossPlot::Discriminator);
        view->start();
        QVERIFY(view->lossPlot()->pointCount(LossPlot::Discriminator) >= points);
        QVERIFY(finished.wait(120000));
        QCOMPARE(finished.count(), 1);
        QVERIFY(finished.first().at(0).toBool());
        QVERIFY(view->lossPlot()->pointCount(LossPlot::Encoder) > 0);
        QVERIFY(view->lossPlot()->pointCount(LossPlot::DigitHead) > 0);
        // One GAN epoch, then the encoder's: its points lie between epochs 1 and 2.
        QVERIFY2(view->lossPlot()->lastEpoch(LossPlot::Encoder) <= 2.0,
                 qPrintable(QString::number(view->lossPlot()->lastEpoch(LossPlot::Encoder))));
        QVERIFY2(densityText.startsWith("Fitting the feature density"), qPrintable(densityText));
        // It has no loss, so the run's metrics file holds only the GAN's and the encoder's rows.
        QFile metrics(dir.filePath("snapshot.safetensors.metrics.csv"));
        QVERIFY(metrics.open(QIODevice::ReadOnly));
        const QString rows = QString::fromUtf8(metrics.readAll());
        QVERIFY(rows.contains("\nencoder,"));
        QVERIFY(!rows.contains("\ndensity,"));
        // The encoder trained with the corruption share the run started with.
        const std::string record = oddigit::AnomalyModel::load(dir.filePath("snapshot.safetensors").toStdString()).info().training_json;
        QVERIFY2(record.find("\"encoder_corruption\":0.25") != std::string::npos, record.c_str());
    }

    // The one background mechanism: an exception in a task is reported and the job goes
    // on; offer() lets the running task finish and deliver, and replaces a waiting one;
    // start() and cancel() make earlier tasks stale, so their deliveries are dropped.
    void backgroundJobsReportFailuresCoalesceAndDropStaleResults() {
        BackgroundJob job("test-job", JobKind::LiveScoring);
        QSignalSpy failed(&job, &BackgroundJob::failed);
        job.start([](JobContext&) { throw std::runtime_error("boom"); });
        QVERIFY(failed.wait(5000));
        QCOMPARE(failed.first().at(0).toString(), QString("boom"));

        QStringList delivered;
        std::atomic<bool> release{false};
        job.start([&](JobContext& context) {
            while (!release) QThread::msleep(1);
            context.deliver([&] { delivered << "running"; });
        });
        QTest::qWait(50);
        const auto deliverer = [&](const QString& name) {
            return [&delivered, name](JobContext& context) { context.deliver([&delivered, name] { delivered << name; }); };
        };
        job.offer(deliverer("replaced"));
        job.offer(deliverer("newest"));
        release = true;
        QTRY_COMPARE_WITH_TIMEOUT(delivered, QStringList({"running", "newest"}), 5000);

        release = false;
        delivered.clear();
        job.start([&](JobContext& context) {
            while (!release) QThread::msleep(1);
            context.deliver([&] { delivered << "stale"; });
        });
        QTest::qWait(50);
        job.cancel();
        release = true;
        job.waitUntilIdle();
        QTest::qWait(100);
        QVERIFY(delivered.isEmpty());
        QVERIFY(!job.busy());
    }

    // The model users get first (the committed bundled model, the same on every machine): it
    // must pass the seven, flag the seven with the zigzag and outline the zigzag.
    void theZigzagIsFlaggedAndOutlinedNotTheSeven() {
        DrawView* view = window_->drawView();
        const auto [clean, odd] = drawSevenThenScribble(view);
        const float threshold = window_->modelStore()->model()->info().threshold;
        qInfo("seven %g, with the zigzag %g, threshold %g", clean.score.score, odd.score.score, threshold);
        QVERIFY(!clean.flagged);
        QCOMPARE(clean.score.best_digit, 7);
        QVERIFY(odd.flagged);
        QCOMPARE(odd.scoreWithout.size(), 3);
        QCOMPARE(view->canvas()->oddStroke(), 2);
        QVERIFY2(view->verdictText().contains("7") || view->verdictText().startsWith("No digit fits"),
                 qPrintable(view->verdictText()));
        window_->tabs()->setCurrentWidget(view);
        screenshot(window_.get(), "draw");
    }

    // The drawn-input protocol renders its glyphs with the engine's pen (oddigit/drawn.h); the
    // canvas paints with QPainter. After the MNIST preprocessing both give the model nearly
    // the same image, so the protocol measures what a user's drawing would get.
    void theProtocolsPenDrawsAsTheCanvasDoes() {
        const QList<QList<QPointF>> polylines = {kSevenTop, kSevenStem, kScribble};
        for (const qreal width : {10.0, 18.0, 26.0}) {
            StrokeList strokes;
            std::vector<oddigit::PenStroke> pens;
            for (const QList<QPointF>& points : polylines) {
                Stroke stroke;
                stroke.width = width;
                stroke.path.moveTo(points.first());
                oddigit::PenStroke pen;
                pen.width = static_cast<float>(width);
                for (const QPointF& point : points) {
                    stroke.path.lineTo(point);
                    pen.points.push_back({static_cast<float>(point.x()), static_cast<float>(point.y())});
                }
                strokes.append(stroke);
                pens.push_back(pen);
            }
            const oddigit::Image28 canvas = oddigit::to_mnist(image_conversions::toGray(DrawingCanvas::render(strokes, {})));
            const oddigit::Image28 engine = oddigit::to_mnist(oddigit::render_strokes(pens));
            double sum = 0, worst = 0;
            for (int i = 0; i < oddigit::kImagePixels; ++i) {
                sum += std::abs(canvas[i] - engine[i]);
                worst = std::max(worst, static_cast<double>(std::abs(canvas[i] - engine[i])));
            }
            qInfo("pen %g: mean |canvas - engine| %.4f, largest %.3f", width, sum / oddigit::kImagePixels, worst);
            QVERIFY(sum / oddigit::kImagePixels < 0.02);
            QVERIFY(worst < 0.3);
        }
    }

    void cleanupTestCase() { window_.reset(); }

private:
    // The Train view filled in for a quick run on digit 1.
    TrainView* prepareRun(const QString& outputPath, int ganEpochs, int encoderEpochs, int images) {
        TrainView* view = window_->trainView();
        view->setOutputPath(outputPath);
        view->setEpochs(ganEpochs, encoderEpochs);
        view->setNormalClasses("1");
        view->setTrainingLimit(images);
        return view;
    }

    std::unique_ptr<MainWindow> window_;
};

QTEST_MAIN(MainWindowTest)
#include "main_window_test.moc"
