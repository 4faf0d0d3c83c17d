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

#include <algorithm>
#include <cmath>

#include "draw_view.h"
#include "drawing_canvas.h"
#include "image_conversions.h"
#include "main_window.h"
#include "model_store.h"
#include "oddigit/drawn.h"
#include "oddigit/score.h"
#include "stroke.h"
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
        const DrawingScore result = settle(view);
        QVERIFY(!result.blank);
        QVERIFY(result.score.score > 0);
        QCOMPARE(result.without.size(), 2);
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
        QVERIFY(window_->openModel(bundledWithThresholds(dir, 1e-6f), true));
        spy.clear();
        settle(view);
        QTest::qWait(200);
        QVERIFY(spy.count() > 0);
        for (const QList<QVariant>& answer : spy) QVERIFY(answer.at(0).value<DrawingScore>().flagged);
        QVERIFY(window_->openModel(original, true));
    }

    // The model users get first (the committed bundled model, the same on every machine): it
    // must pass the seven, flag the seven with the zigzag and outline the zigzag.
    void theZigzagIsFlaggedAndOutlinedNotTheSeven() {
        DrawView* view = window_->drawView();
        const auto [clean, odd] = drawSevenThenScribble(view);
        qInfo("seven: stroke %.2fx, shape %.2fx; with the zigzag: stroke %.2fx, shape %.2fx", clean.score.stroke_ratio,
              clean.score.shape_ratio, odd.score.stroke_ratio, odd.score.shape_ratio);
        QVERIFY(!clean.flagged);
        QCOMPARE(clean.score.best_digit, 7);
        QVERIFY(odd.flagged);
        QCOMPARE(odd.without.size(), 3);
        QCOMPARE(view->canvas()->oddStroke(), 2);
        // Named by the strokes that are not odd: the zigzag may make the whole no digit to the
        // shape channel, but the 7 left without the outlined zigzag is a digit to it, so the
        // zigzag is what is odd about a 7.
        QVERIFY(odd.without[2].shape_ratio < oddigit::kFlagRatio);
        QCOMPARE(view->verdictText(), QString("An odd 7 — stroke 3 looks odd"));
        window_->tabs()->setCurrentWidget(view);
        screenshot(window_.get(), "draw");
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
        view->showImage(scan);
        const DrawingScore scored = settle(view);
        QCOMPARE(scored.input_kind, oddigit::InputKind::Scanned);
        const oddigit::ImageScore expected = window_->modelStore()->model()->clone().score(scored.input);
        QCOMPARE(scored.score.score, expected.score);
        view->canvas()->clear();
    }

    // A drawn M is no digit: the shape channel flags it, and the verdict says so in the same
    // colour as the gauge's shape bar; the verdict's words and colour come from one channel.
    // It is measured as a drawing, against the canvas calibration.
    void aLetterIsCalledNotADigitByTheShapeChannel() {
        DrawView* view = window_->drawView();
        view->canvas()->clear();
        drawStroke(view->canvas(), {{60, 240}, {80, 50}, {140, 170}, {200, 50}, {220, 240}});
        const DrawingScore letter = settle(view);
        qInfo("M: stroke %.2fx, shape %.2fx", letter.score.stroke_ratio, letter.score.shape_ratio);
        QCOMPARE(letter.input_kind, oddigit::InputKind::Drawn);
        QVERIFY(letter.flagged);
        QCOMPARE(letter.channel, oddigit::Channel::Shape);
        QVERIFY2(view->verdictText().startsWith("Not a digit (closest: "), qPrintable(view->verdictText()));
        auto* verdict = view->findChild<QLabel*>("verdict");
        QVERIFY(verdict);
        QVERIFY(verdict->styleSheet().contains("215, 58, 73"));
        window_->tabs()->setCurrentWidget(view);
        screenshot(window_.get(), "draw-letter");
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
    std::unique_ptr<MainWindow> window_;
};

QTEST_MAIN(DrawViewTest)
#include "draw_view_test.moc"
