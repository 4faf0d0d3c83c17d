// The Explore view driven like a user would: it scores the test set by itself when first
// opened, lists the flagged images, drops a pass for a model no longer open, and opens the
// detail window of an image.
#include <QDialog>
#include <QElapsedTimer>
#include <QFile>
#include <QProgressBar>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>

#include "draw_view.h"
#include "explore/explore_view.h"
#include "main_window.h"
#include "model_store.h"
#include "ui_test_support.h"

using namespace ui_test;

class ExploreViewTest : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { openTestWindow(window_, "explore_view"); }

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

    void cleanupTestCase() { window_.reset(); }

private:
    std::unique_ptr<MainWindow> window_;
};

QTEST_MAIN(ExploreViewTest)
#include "explore_view_test.moc"
