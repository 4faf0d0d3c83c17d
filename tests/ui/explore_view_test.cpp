// The Explore view driven like a user would: it scores the test set by itself when first
// opened, lists the flagged images, drops a pass for a model no longer open, and opens the
// detail window of an image.
#include <QApplication>
#include <QComboBox>
#include <QDialog>
#include <QLabel>
#include <QPushButton>
#include <QSettings>
#include <QTimer>
#include <QElapsedTimer>
#include <QDir>
#include <QFile>
#include <QProgressBar>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>

#include "draw_view.h"
#include "explore/explore_view.h"
#include "main_window.h"
#include "mnist_dialog.h"
#include "model_store.h"
#include "oddigit/score.h"
#include "ui_test_support.h"

using namespace ui_test;

namespace {

const QString kNotShownYet = "(not shown yet)";

// What the last modal dialog said; kNotShownYet since the watch began.
QString offered;

// Watches for the next modal dialog (the MNIST dialog, an error box) and dismisses it once
// shown, keeping its text. The watch runs inside the dialog's own event loop, so the test goes
// on once the dialog is gone.
void cancelModalDialogWhenShown() {
    offered = kNotShownYet;
    auto* watch = new QTimer;
    QObject::connect(watch, &QTimer::timeout, watch, [watch] {
        auto* dialog = qobject_cast<QDialog*>(QApplication::activeModalWidget());
        if (!dialog) return;
        offered.clear();
        for (QLabel* label : dialog->findChildren<QLabel*>()) offered += label->text();
        dialog->reject();
        watch->deleteLater();
    });
    watch->start(50);
}

}  // namespace

class ExploreViewTest : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { openTestWindow(window_, "explore_view"); }

    // A first run without MNIST: showing Explore offers the verified download at once; cancelled,
    // the Score button stays enabled and offers it again.
    void explorerWithoutMnistOffersTheDownloadAtOnceAndAgain() {
        QTemporaryDir empty;
        QSettings().setValue("mnist/folder", empty.path());
        ExploreView* view = window_->exploreView();
        auto* score = view->findChild<QPushButton*>("scoreTestSet");
        QVERIFY(score);
        cancelModalDialogWhenShown();
        window_->tabs()->setCurrentWidget(view);
        QTRY_VERIFY_WITH_TIMEOUT(offered != kNotShownYet, 5000);
        QVERIFY2(offered.contains("Download") && offered.contains(empty.path()), qPrintable(offered));
        // Exploring needs the test set alone, and the dialog names what it lacks of it.
        QVERIFY2(offered.contains("t10k-images") && !offered.contains("train-"), qPrintable(offered));
        QVERIFY(!view->isScoring());
        QVERIFY(score->isEnabled());
        cancelModalDialogWhenShown();
        QTest::mouseClick(score, Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(offered != kNotShownYet, 5000);
        QVERIFY2(offered.contains("Download"), qPrintable(offered));
        QVERIFY(score->isEnabled());
        QSettings().remove("mnist/folder");
        window_->tabs()->setCurrentWidget(window_->drawView());
    }

    // Opened for the first time with MNIST's test set at hand (the training files need not be
    // there), Explore scores it by itself; until then its plots say what will appear in them.
    void explorerScoresByItselfWhenFirstOpened() {
        QTemporaryDir testSetOnly;
        const QDir mnist(QString::fromStdString(oddigit::default_mnist_dir()));
        for (QString name : {"t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"}) {
            if (!mnist.exists(name)) name += ".gz";
            QVERIFY(QFile::link(mnist.filePath(name), testSetOnly.filePath(name)));
        }
        QSettings().setValue("mnist/folder", testSetOnly.path());
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
        QSettings().remove("mnist/folder");
        QVERIFY(view->flaggedCount() > 0);
        window_->tabs()->setCurrentWidget(window_->drawView());
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
        view->setThreshold(oddigit::kFlagRatio);
        QCOMPARE(view->flaggedCount(), flagged);
        // The channel filter splits the flagged images between the two channels.
        auto* channels = view->findChild<QComboBox*>("channelFilter");
        QVERIFY(channels);
        channels->setCurrentIndex(1);
        const int oddStrokes = view->flaggedCount();
        channels->setCurrentIndex(2);
        const int notDigits = view->flaggedCount();
        channels->setCurrentIndex(0);
        qInfo("flagged test digits: %d by the stroke channel, %d by the shape channel", oddStrokes, notDigits);
        QVERIFY(oddStrokes > 0 && notDigits > 0);
        QTemporaryDir dir;
        QCOMPARE(view->exportFlagged(dir.filePath("flagged.csv")), QString());
        QFile csv(dir.filePath("flagged.csv"));
        QVERIFY(csv.open(QIODevice::ReadOnly));
        QCOMPARE(csv.readAll().count('\n'), flagged + 1);
    }

    // The pass over the test set has scored its last image when the model changes: what it
    // computed for the old model is dropped, not shown under the new model's threshold.
    void explorerDropsAPassForAModelNoLongerOpen() {
        QTemporaryDir dir;
        const QString original = window_->modelStore()->path();
        const QString other = bundledWithThresholds(dir, 1000.0f);
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

    // A t-SNE map that fails says so, keeps the PCA map, and is computed when asked again.
    void aFailedTsneMapIsTriedAgain() {
        QTemporaryDir dir;
        const QString original = window_->modelStore()->path();
        ExploreView* view = window_->exploreView();
        auto* mapKind = view->findChild<QComboBox*>("mapKind");
        QVERIFY(mapKind);
        mapKind->setCurrentIndex(0);
        // Another threshold: another model to the map cache, which has no map of it yet.
        QVERIFY(window_->openModel(bundledWithThresholds(dir, 0.25f), true));
        oddigit::TsneParams unusable;
        unusable.exaggeration = 0;
        view->setTsneParams(unusable);
        QSignalSpy done(view, &ExploreView::scoringFinished);
        QSignalSpy failed(view, &ExploreView::failed);
        QSignalSpy mapped(view, &ExploreView::tsneMapReady);
        cancelModalDialogWhenShown();  // the error box
        view->scoreTestSet();
        QVERIFY(done.wait(120000));
        QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(offered != kNotShownYet, 5000);
        QVERIFY2(offered.contains("exaggeration"), qPrintable(offered));
        QCOMPARE(mapped.count(), 0);
        view->setTsneParams({});
        mapKind->setCurrentIndex(1);  // the PCA map, then the t-SNE map again
        mapKind->setCurrentIndex(0);
        QVERIFY(mapped.wait(120000));
        QCOMPARE(mapped.last().at(0).toBool(), false);
        QVERIFY(window_->openModel(original, true));
    }

    void cleanupTestCase() { window_.reset(); }

private:
    std::unique_ptr<MainWindow> window_;
};

QTEST_MAIN(ExploreViewTest)
#include "explore_view_test.moc"
