// The Draw view driven like a user would: mouse strokes, the score and heatmap they get,
// undo, the zigzag the bundled model must flag, the colormap and pen, a model switch while
// scoring, and hostile files dropped on the window.
#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QMimeData>
#include <QMouseEvent>
#include <QPainter>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QUrl>
#include <QtMath>

#include <algorithm>
#include <cmath>

#include "draw_view.h"
#include "drawing_canvas.h"
#include "image_conversions.h"
#include "main_window.h"
#include "model_store.h"
#include "oddigit/drawing.h"
#include "oddigit/score.h"
#include "test_support.h"
#include "ui_test_support.h"

using namespace ui_test;

class DrawViewTest : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { openTestWindow(window_, "draw_view"); }

    void strokesGiveAScoreAndAHeatmapHotUnderTheStrokes() {
        DrawView* view = window_->drawView();
        view->canvas()->clear();
        drawStroke(view->canvas(), kSevenTop);
        drawStroke(view->canvas(), kSevenStem);
        const oddigit::DrawingJudgement result = settle(view).judged;
        QVERIFY(!result.blank);
        QVERIFY(result.score.score > 0);
        QCOMPARE(result.strokes.size(), size_t{2});
        double underInk = 0, blank = 0;
        int inkPixels = 0, blankPixels = 0;
        for (int p = 0; p < oddigit::kImagePixels; ++p) {
            if (result.model_input[p] > 0.5f) {
                underInk += result.score.heatmap[p];
                ++inkPixels;
            } else if (result.model_input[p] == 0.0f && result.score.reconstruction[p] < 0.1f) {
                blank += result.score.heatmap[p];
                ++blankPixels;
            }
        }
        QVERIFY(inkPixels > 20);
        QVERIFY2(underInk / inkPixels > 10 * blank / std::max(1, blankPixels),
                 qPrintable(QString("heat under ink %1, on blank paper %2").arg(underInk / inkPixels).arg(blank / blankPixels)));
        qInfo("Draw view: rendering, preprocessing and scoring took %.1f ms", view->lastScore().milliseconds);
        QVERIFY(view->lastScore().milliseconds < 1000);
    }

    void undoRestoresThePreviousScore() {
        DrawView* view = window_->drawView();
        const auto [before, after] = drawSevenThenScribble(view);
        QVERIFY(after.judged.score.score != before.judged.score.score);
        view->canvas()->undoStack()->undo();
        QCOMPARE(settle(view).judged.score.score, before.judged.score.score);
        view->canvas()->undoStack()->redo();
        QCOMPARE(settle(view).judged.score.score, after.judged.score.score);
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
        QVERIFY(!settle(view).judged.blank);
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
        QVERIFY(window_->openModel(bundledWithThresholds(dir, 1e-6f), true));
        spy.clear();
        settle(view);
        QTest::qWait(200);
        QVERIFY(spy.count() > 0);
        for (const QList<QVariant>& answer : spy) QVERIFY(oddigit::flagged(answer.at(0).value<DrawingScore>().judged.score));
        QVERIFY(window_->openModel(original, true));
    }

    // The model users get first (the committed bundled model, the same on every machine): it
    // must pass the seven, flag the seven with the zigzag and outline the zigzag, and say what
    // the engine's judge_drawing() says of those strokes.
    void theZigzagIsFlaggedAndOutlinedNotTheSeven() {
        DrawView* view = window_->drawView();
        const auto [clean, odd] = drawSevenThenScribble(view);
        qInfo("seven: stroke %.2fx, shape %.2fx; with the zigzag: stroke %.2fx, shape %.2fx",
              clean.judged.score.stroke_ratio, clean.judged.score.shape_ratio, odd.judged.score.stroke_ratio,
              odd.judged.score.shape_ratio);
        QVERIFY(!oddigit::flagged(clean.judged.score));
        QCOMPARE(clean.judged.verdict_text, std::string("Looks like a 7"));
        QVERIFY(oddigit::flagged(odd.judged.score));
        QCOMPARE(odd.judged.strokes.size(), size_t{3});
        QCOMPARE(view->canvas()->blamedStroke(), 2);
        QCOMPARE(view->verdictText(), QString("An odd 7 — stroke 3 looks odd"));
        const oddigit::DrawingJudgement engine =
            oddigit::judge_drawing(*window_->modelStore()->model(), view->canvas()->currentDrawing());
        QCOMPARE(view->verdictText(), QString::fromStdString(engine.verdict_text));
        window_->tabs()->setCurrentWidget(view);
        screenshot(window_.get(), "draw");
    }

    // The percentile beside a drawing is among the held-out digits redrawn as drawings; beside
    // an opened image, among the held-out MNIST digits; the view says which.
    void thePercentileSaysAmongWhichDigits() {
        DrawView* view = window_->drawView();
        drawDrawing(view->canvas(), oddigit::test::kSeven);
        const DrawingScore drawn = settle(view);
        const oddigit::ModelInfo& info = window_->modelStore()->model()->info();
        QCOMPARE(drawn.judged.percentile, info.canvas.percentile(drawn.judged.score.score));
        const auto shown = [&] {
            QString text;
            for (QLabel* label : view->findChildren<QLabel*>()) text += label->text() + "\n";
            return text;
        };
        QVERIFY2(shown().contains("redrawn as drawings (the canvas calibration)"), qPrintable(shown()));
        view->showImage(oddigit::render_drawing(view->canvas()->currentDrawing()));
        const DrawingScore scanned = settle(view);
        QCOMPARE(scanned.judged.percentile, info.mnist.percentile(scanned.judged.score.score));
        QVERIFY2(shown().contains("held-out MNIST digits (the scans' calibration)"), qPrintable(shown()));
        view->canvas()->clear();
    }

    // An opened image is a scan, not a drawing: it keeps the MNIST calibration, and its score
    // is the one the engine gives its 28x28 input by default (as oddigit-cli score does).
    void anOpenedImageIsMeasuredAsScanned() {
        DrawView* view = window_->drawView();
        view->canvas()->clear();
        QImage scan(280, 280, QImage::Format_Grayscale8);
        scan.fill(Qt::white);
        QPainter painter(&scan);
        painter.setPen(QPen(Qt::black, 22, Qt::SolidLine, Qt::RoundCap));
        painter.drawLine(150, 40, 130, 240);
        painter.end();
        view->showImage(image_conversions::toGray(scan));
        const DrawingScore scored = settle(view);
        QCOMPARE(scored.judged.input, oddigit::InputKind::Scanned);
        const oddigit::ImageScore expected = window_->modelStore()->model()->clone().score(scored.judged.model_input);
        QCOMPARE(scored.judged.score.score, expected.score);
        view->canvas()->clear();
    }

    // Drawn letters are flagged, no digits or odd ones: the verdict says so in red, measured as
    // drawings, against the canvas calibration.
    void lettersAreFlagged() {
        DrawView* view = window_->drawView();
        for (const oddigit::test::TestDrawing& letter : oddigit::test::kLetters) {
            drawDrawing(view->canvas(), letter);
            const DrawingScore scored = settle(view);
            QCOMPARE(scored.judged.input, oddigit::InputKind::Drawn);
            QVERIFY2(view->verdictText().startsWith("Not a digit (closest: ") || view->verdictText().startsWith("An odd "),
                     qPrintable(QString::fromStdString(letter.name) + ": " + view->verdictText()));
            auto* verdict = view->findChild<QLabel*>("verdict");
            QVERIFY(verdict);
            QVERIFY(verdict->styleSheet().contains("215, 58, 73"));
            if (letter.name == "M1") {
                window_->tabs()->setCurrentWidget(view);
                screenshot(window_.get(), "draw-letter");
            }
        }
    }

    // The canvas paints the engine renderer's ink at its own resolution: the paper on screen is
    // render_drawing() of the drawing the model is given, in the screen's grey ink.
    void theCanvasPaintsTheInkTheModelIsGiven() {
        DrawView* view = window_->drawView();
        drawDrawing(view->canvas(), oddigit::test::kZigzagSeven);
        settle(view);
        DrawingCanvas* canvas = view->canvas();
        canvas->setHeat({}, {});
        canvas->setStrokeBlame(-1, {});
        // In device pixels: on a scaled screen the canvas renders the ink at the screen's resolution.
        const QImage shown = canvas->grab().toImage().convertToFormat(QImage::Format_Grayscale8);
        const qreal ratio = shown.devicePixelRatio();
        const int side = std::min(canvas->width(), canvas->height());
        const QPoint origin(qRound((canvas->width() - side) / 2 * ratio), qRound((canvas->height() - side) / 2 * ratio));
        const oddigit::GrayImage ink =
            oddigit::render_drawing(canvas->currentDrawing(), static_cast<float>(side * ratio) / oddigit::kPaperSide);
        int compared = 0, differing = 0;
        // The canvas's frame covers its outermost logical pixel.
        const int margin = qCeil(2 * ratio);
        for (int y = margin; y < ink.height - margin; y += 3)
            for (int x = margin; x < ink.width - margin; x += 3) {
                const int expected = 85 + (255 - 85) * ink.pixels[static_cast<size_t>(y) * ink.width + x] / 255;
                differing += std::abs(qGray(shown.pixel(origin.x() + x, origin.y() + y)) - expected) > 2;
                ++compared;
            }
        qInfo("canvas pixels off the renderer's: %d of %d", differing, compared);
        QCOMPARE(differing, 0);
        // Strokes and their pens are what the canvas was given, a click being a dot of two points.
        QCOMPARE(canvas->currentDrawing().strokes.size(), size_t{3});
        QCOMPARE(canvas->currentDrawing().strokes[0].width, static_cast<float>(oddigit::kDefaultPenWidth));
    }

    // File > Save Strokes and File > Open: a drawing kept and opened again is judged the same.
    void savedStrokesOpenAgainToTheSameVerdict() {
        DrawView* view = window_->drawView();
        const auto [clean, odd] = drawSevenThenScribble(view);
        Q_UNUSED(clean);
        QTemporaryDir dir;
        const QString path = dir.filePath("zigzag-seven.json");
        QVERIFY(window_->saveDrawing(path, true));
        view->canvas()->clear();
        settle(view);
        QVERIFY(window_->openFile(path, true));
        const DrawingScore reopened = settle(view);
        QCOMPARE(reopened.judged.verdict_text, odd.judged.verdict_text);
        QCOMPARE(reopened.judged.score.score, odd.judged.score.score);
        QFile broken(dir.filePath("broken.json"));
        QVERIFY(broken.open(QIODevice::WriteOnly));
        broken.write("{\"strokes\": 3}");
        broken.close();
        QVERIFY(!window_->openFile(broken.fileName(), true));
        QVERIFY2(window_->lastError().contains("broken.json"), qPrintable(window_->lastError()));
        QCOMPARE(view->canvas()->currentDrawing().strokes.size(), size_t{3});  // the drawing shown stays
        view->canvas()->clear();
    }

    void cleanupTestCase() { window_.reset(); }

private:
    std::unique_ptr<MainWindow> window_;
};

QTEST_MAIN(DrawViewTest)
#include "draw_view_test.moc"
