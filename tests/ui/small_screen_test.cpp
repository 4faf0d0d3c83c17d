// The window on a laptop's 1366x768 screen (the offscreen platform's screen, set by
// tests/ui/screen-1366x768.json): the first window opens inside the screen, and every view is
// usable there: the Draw view's canvas square and whole, the Train view's form reachable, the
// Explore view's panels shown.
#include <QAbstractButton>
#include <QApplication>
#include <QScreen>
#include <QScrollArea>
#include <QTabWidget>
#include <QTest>
#include <qcustomplot.h>

#include "draw_view.h"
#include "drawing_canvas.h"
#include "explore/explore_view.h"
#include "main_window.h"
#include "train_view.h"
#include "ui_test_support.h"

using namespace ui_test;

namespace {

// Whether widget lies wholly inside the window's client area.
bool insideWindow(const QWidget* widget, const QWidget* window) {
    const QRect rect(widget->mapTo(window, QPoint(0, 0)), widget->size());
    return window->rect().contains(rect);
}

}  // namespace

class SmallScreenTest : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { openTestWindow(window_, "small_screen", true); }

    void theWindowFitsTheScreen() {
        const QRect available = window_->screen()->availableGeometry();
        QCOMPARE(available.size(), QSize(1366, 768));
        QVERIFY2(available.contains(window_->frameGeometry()),
                 qPrintable(QString("window %1x%2 at %3,%4").arg(window_->frameGeometry().width())
                                .arg(window_->frameGeometry().height()).arg(window_->x()).arg(window_->y())));
    }

    void theCanvasIsSquareAndWhole() {
        window_->tabs()->setCurrentWidget(window_->drawView());
        QApplication::processEvents();
        DrawingCanvas* canvas = window_->drawView()->canvas();
        QVERIFY(insideWindow(canvas, window_.get()));
        QVERIFY2(std::min(canvas->width(), canvas->height()) >= 280,
                 qPrintable(QString("canvas %1x%2").arg(canvas->width()).arg(canvas->height())));
        drawDrawing(canvas, oddigit::test::kSeven);
        settle(window_->drawView());
        screenshot(window_.get(), "small-screen-draw");
    }

    void theTrainFormIsReachable() {
        TrainView* view = window_->trainView();
        window_->tabs()->setCurrentWidget(view);
        QApplication::processEvents();
        auto* scroll = view->findChild<QScrollArea*>("trainFormScroll");
        QVERIFY(scroll);
        QVERIFY(insideWindow(scroll, window_.get()));
        auto* start = view->findChild<QAbstractButton*>("startTraining");
        QVERIFY(start);
        scroll->ensureWidgetVisible(start);
        QApplication::processEvents();
        QVERIFY(!start->visibleRegion().isEmpty());
        screenshot(window_.get(), "small-screen-train");
    }

    void exploresPanelsAreShown() {
        ExploreView* view = window_->exploreView();
        window_->tabs()->setCurrentWidget(view);
        QApplication::processEvents();
        const QList<QCustomPlot*> plots = view->findChildren<QCustomPlot*>();
        QVERIFY(!plots.isEmpty());
        for (QCustomPlot* plot : plots)
            if (plot->isVisible()) QVERIFY2(plot->height() >= 120, qPrintable(QString::number(plot->height())));
        QVERIFY(insideWindow(view, window_.get()));
        screenshot(window_.get(), "small-screen-explore");
    }

    void cleanupTestCase() { window_.reset(); }

private:
    std::unique_ptr<MainWindow> window_;
};

QTEST_MAIN(SmallScreenTest)
#include "small_screen_test.moc"
