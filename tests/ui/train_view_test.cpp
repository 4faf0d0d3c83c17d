// The Train view driven like a user would: a training run feeding the loss plot while the
// app stays responsive, cancelling, drawing while Explore scores and a training runs, an earlier
// run's curves, starting over an earlier run, training without MNIST, and a run keeping the
// settings it started with.
#include <QAbstractButton>
#include <QApplication>
#include <QCheckBox>
#include <QDoubleSpinBox>
#include <QElapsedTimer>
#include <QFile>
#include <QLabel>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <algorithm>
#include <cmath>
#include <string>

#include "class_picker.h"
#include "draw_view.h"
#include "drawing_canvas.h"
#include "explore/explore_view.h"
#include "loss_plot.h"
#include "main_window.h"
#include "mnist_dialog.h"
#include "oddigit/mnist.h"
#include "oddigit/model.h"
#include "oddigit/safetensors.h"
#include "oddigit/score.h"
#include "oddigit/train.h"
#include "test_support.h"
#include "train_view.h"
#include "training_worker.h"
#include "ui_test_support.h"

using namespace ui_test;

class TrainViewTest : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { openTestWindow(window_, "train_view"); }

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
        QVERIFY2(answers[18] < 250 * oddigit::test::kTimeBoundScale, qPrintable(QString("p95 %1 ms").arg(answers[18])));

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
        QVERIFY2(longestStall < 250 * oddigit::test::kTimeBoundScale, qPrintable(QString("stalled %1 ms").arg(longestStall)));
    }

    // Three things at once, as a user may ask: a training runs, Explore scores the 10,000 test
    // images, and the Draw view judges strokes. Each gives what it gives alone: the drawing's
    // score and Explore's flagged images are those of the model scored with nothing else running.
    void drawingWhileExploreScoresAndATrainingRuns() {
        const oddigit::ImageBatch& testImages = oddigit::test::mnist().test.images;
        int expectedFlagged = 0;
        for (const oddigit::ImageScore& score : oddigit::test::fixture_model().score(testImages))
            expectedFlagged += oddigit::flagged(score);
        DrawView* draw = window_->drawView();
        draw->canvas()->clear();
        drawStroke(draw->canvas(), kSevenTop);
        const float alone = settle(draw).judged.score.score;

        QTemporaryDir dir;
        // Epochs enough to outlast Explore's pass: it is cancelled after.
        TrainView* view = prepareRun(dir.filePath("busy.safetensors"), 200, 1, 2000);
        QSignalSpy finished(&view->worker(), &TrainingWorker::finished);
        view->start();
        QTRY_VERIFY_WITH_TIMEOUT(view->lossPlot()->pointCount(LossPlot::Discriminator) > 0, 60000);
        ExploreView* explore = window_->exploreView();
        QSignalSpy scored(explore, &ExploreView::scoringFinished);
        explore->scoreTestSet();
        QVERIFY(explore->isScoring());
        int strokes = 0;
        while (explore->isScoring()) {
            draw->canvas()->clear();
            drawStroke(draw->canvas(), kSevenTop);
            const float busy = settle(draw).judged.score.score;
            QVERIFY2(std::abs(busy - alone) <= 1e-3f * alone, qPrintable(QString("%1 vs %2").arg(busy).arg(alone)));
            ++strokes;
        }
        QVERIFY(scored.count() == 1 || scored.wait(120000));
        QVERIFY(view->isTraining());
        qInfo("%d strokes judged while Explore scored and training ran", strokes);
        QVERIFY(strokes > 0);
        // A flag may flip where a score lies within rounding of the threshold (Explore's batches
        // use other thread counts): at most one image of 10,000.
        QVERIFY2(std::abs(explore->flaggedCount() - expectedFlagged) <= 1,
                 qPrintable(QString("%1 flagged, %2 alone").arg(explore->flaggedCount()).arg(expectedFlagged)));
        view->worker().cancel();
        QVERIFY(finished.wait(60000));
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

    // "Resume it" resumes that run without ticking "Resume from this checkpoint", which is only
    // offered while the path has a run to resume, and with the run's own settings whatever the
    // form holds since: a later Start on another path starts afresh.
    void resumingFromTheQuestionLeavesTheNextRunOnAnotherPathFresh() {
        QTemporaryDir dir;
        const QString first = dir.filePath("first.safetensors");
        TrainView* view = prepareRun(first, 2, 1, 256);
        QCheckBox* resume = nullptr;
        for (QCheckBox* box : view->findChildren<QCheckBox*>())
            if (box->text().startsWith("Resume")) resume = box;
        QVERIFY(resume);
        QVERIFY(!resume->isEnabled());
        QSignalSpy epochs(&view->worker(), &TrainingWorker::epochDone);
        QSignalSpy finished(&view->worker(), &TrainingWorker::finished);
        view->start();
        QVERIFY(epochs.wait(60000));
        view->worker().cancel();
        QVERIFY(finished.wait(60000));
        QTRY_VERIFY(resume->isEnabled());
        QVERIFY(!resume->isChecked());
        view->setNormalClasses("6,7");
        view->setTrainingLimit(300);
        QTimer::singleShot(300, [&] {
            if (auto* question = qobject_cast<QMessageBox*>(QApplication::activeModalWidget()))
                for (QAbstractButton* button : question->buttons())
                    if (button->text() == "Resume it") button->click();
        });
        view->start();
        QVERIFY(view->isTraining());
        QVERIFY(finished.wait(120000));
        QVERIFY2(finished.last().at(0).toBool(), qPrintable(finished.last().at(2).toString()));
        QTRY_VERIFY(!view->isTraining());
        QVERIFY(!resume->isChecked());
        QCOMPARE(oddigit::AnomalyModel::load(first.toStdString()).info().normal_classes.to_string(), std::string("1"));
        auto* picker = view->findChild<ClassPicker*>("normalClasses");
        QVERIFY(picker);
        QCOMPARE(picker->chosen(), QString("1"));

        view->setOutputPath(dir.filePath("second.safetensors"));
        QVERIFY(!resume->isEnabled());
        QSignalSpy failed(&view->worker(), &TrainingWorker::failed);
        view->start();
        QVERIFY(finished.wait(120000));
        QVERIFY2(finished.last().at(0).toBool(), qPrintable(finished.last().at(2).toString()));
        QCOMPARE(failed.count(), 0);
        QVERIFY(QFile::exists(dir.filePath("second.safetensors")));
    }

    // A run cancelled after an encoder epoch keeps that epoch's model, and it ends training as
    // a finished run does: calibrated for drawings too.
    void aCancelledRunKeepsItsModelCalibratedForDrawings() {
        QTemporaryDir dir;
        const QString path = dir.filePath("cancelled.safetensors");
        TrainView* view = prepareRun(path, 1, 3, 256);
        QSignalSpy finished(&view->worker(), &TrainingWorker::finished);
        const QMetaObject::Connection cancelAfterEncoderEpoch =
            connect(&view->worker(), &TrainingWorker::epochDone, view, [view](const oddigit::EpochSummary& epoch) {
                if (epoch.phase == oddigit::TrainPhase::Encoder) view->worker().cancel();
            });
        view->start();
        QVERIFY(finished.wait(120000));
        QCOMPARE(finished.first().at(0).toBool(), false);
        const oddigit::ModelInfo kept = oddigit::AnomalyModel::load(path.toStdString()).info();
        QVERIFY(kept.mnist.is_set());
        QVERIFY(kept.canvas.is_set());
        disconnect(cancelAfterEncoderEpoch);
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
        const oddigit::ModelInfo trained = oddigit::AnomalyModel::load(dir.filePath("snapshot.safetensors").toStdString()).info();
        QVERIFY2(trained.training_json.find("\"encoder_corruption\":0.25") != std::string::npos, trained.training_json.c_str());
        // A finished training leaves the model calibrated for drawings too.
        QVERIFY(trained.canvas.is_set());
    }

    void cleanupTestCase() { window_.reset(); }

private:
    // The Train view filled in for a quick run on digit 1.
    TrainView* prepareRun(const QString& outputPath, int ganEpochs, int encoderEpochs, int images) {
        return ui_test::prepareRun(*window_, outputPath, ganEpochs, encoderEpochs, images);
    }

    std::unique_ptr<MainWindow> window_;
};

std::unique_ptr<QObject> makeTrainViewTest() { return std::make_unique<TrainViewTest>(); }

#include "train_view_test.moc"
