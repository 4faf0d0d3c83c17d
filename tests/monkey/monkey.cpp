// The monkey's run: the guided runs, the random actions' clock, the watch over dialogs and
// memory, the quiet points, the end and its summary.
#include <QAbstractButton>
#include <QApplication>
#include <QDialog>
#include <QMessageBox>
#include <QTabWidget>
#include <QTest>

#include "draw_view.h"
#include "drawing_canvas.h"
#include "explore/explore_view.h"
#include "main_window.h"
#include "model_store.h"
#include "monkey.h"
#include "monkey_support.h"
#include "train_view.h"
#include "training_worker.h"
#include "ui_test_support.h"

namespace monkey {

void Monkey::begin() {
    connect(&window_.trainView()->worker(), &TrainingWorker::finished, this, [this](bool ok, const QString& path, const QString& message) {
        logLine("event: training finished (%s): %s %s", ok ? "ok" : "not ok", qPrintable(message), qPrintable(path));
        // By its path: a random run the guided one stopped ends after it has started.
        if (guidedTraining_ && path == guidedOutput_) QTimer::singleShot(0, this, [this, ok, path] { useGuidedModel(ok, path); });
        else if (ok) ++otherTrainingsEnded_;
    });
    connect(window_.exploreView(), &ExploreView::scoringFinished, this, [this] {
        logLine("event: the test set is scored");
        if (guided_ && !guidedTraining_) {
            guided_ = false;
            ++guidedEnded_;
            if (guidedOnFolder_) ++guidedEndedOnFolder_;
            logLine("guided run %d: done in %.1f s", guidedStarts_, seconds() - guidedStarted_);
        }
    });
    connect(window_.exploreView(), &ExploreView::tsneMapReady, this,
            [](bool cached) { logLine("event: t-SNE map ready (%s)", cached ? "cached" : "computed"); });
    connect(window_.exploreView(), &ExploreView::failed, this, [](const QString& m) { logLine("event: Explore failed: %s", qPrintable(m)); });
    connect(window_.drawView(), &DrawView::failed, this, [](const QString& m) { logLine("event: Draw failed: %s", qPrintable(m)); });

    watchdog_.setInterval(100);
    connect(&watchdog_, &QTimer::timeout, this, &Monkey::watch);
    watchdog_.start();
    sampleRss();
    guidedAt_ = {0.4 * minutes_ * 60, 0.65 * minutes_ * 60};
    startGuidedRun(false);
    QTimer::singleShot(0, this, &Monkey::tick);
}

void Monkey::startGuidedRun(bool onFolder) {
    guided_ = guidedTraining_ = true;
    guidedOnFolder_ = onFolder;
    guidedStarted_ = seconds();
    TrainView* view = window_.trainView();
    const QString output = dir_.filePath(QString("train/guided-%1.safetensors").arg(++guidedStarts_));
    guidedOutput_ = output;
    logLine("guided run %d: a training of %s runs to its end: %s", guidedStarts_,
            onFolder ? "the folder's ring and stick" : "digits 1 and 7", qPrintable(output));
    ui_test::prepareRun(window_, output, 1, 1, 300);
    if (onFolder)
        view->setImageFolder(dir_.filePath("folder/train"), false, dir_.filePath("folder/test"));
    else
        view->setImageFolder({});
    view->setNormalClasses(onFolder ? "ring,stick" : "1,7");
    window_.tabs()->setCurrentWidget(view);
    view->start();
    if (!view->isTraining()) {
        fail("the guided training did not start");
        guided_ = guidedTraining_ = false;
    }
}

void Monkey::useGuidedModel(bool finished, const QString& path) {
    guidedTraining_ = false;
    if (!finished) {
        fail("the guided training did not finish");
        guided_ = false;
        return;
    }
    press(trainUse_);
    if (window_.modelStore()->path() != path) fail("Use the trained model did not open " + path);
    window_.tabs()->setCurrentWidget(window_.drawView());
    window_.drawView()->canvas()->clear();
    ui_test::drawStroke(window_.drawView()->canvas(), {{140, 50}, {140, 230}});
    ui_test::settle(window_.drawView());
    logLine("guided run %d: the trained model is in use and says '%s'; Explore scores its test set", guidedStarts_,
            qPrintable(window_.drawView()->verdictText()));
    // (The first one's pass also loads the MNIST test set Explore keeps before the RSS baseline at
    // minute 2.)
    window_.tabs()->setCurrentWidget(window_.exploreView());
    window_.exploreView()->scoreTestSet();
}

void Monkey::fail(const QString& why) {
    ++failures_;
    logLine("MONKEY FAIL: %s", qPrintable(why));
}

void Monkey::sampleRss(bool quiet) {
    const double now = seconds();
    if (quiet) purgeAllocator();
    const long kb = rssKb();
    const double heap = heapMb();
    if (rss_) {
        std::fprintf(rss_, "%.1f,%.1f,%d,%.1f\n", now, kb / 1024.0, quiet ? 1 : 0, heap);
        std::fflush(rss_);
    }
    logLine("rss: %.1f MB, heap %.1f MB%s", kb / 1024.0, heap, quiet ? " (quiet)" : "");
    if (quiet && rssAtTwoMinutes_ < 0) rssAtTwoMinutes_ = kb;
    nextRssAt_ = now + 10;
}

void Monkey::stopTrainingAndExplore() {
    if (window_.trainView()->isTraining()) window_.trainView()->stopTraining();
    window_.exploreView()->cancelScoring();
}

void Monkey::quieten(const char* why) {
    logLine("quiet point (%s): stopping the training and Explore's pass", why);
    stopTrainingAndExplore();
    window_.drawView()->canvas()->clear();
    quietUntil_ = seconds() + 5;
}

QString Monkey::describe(QWidget* dialog) const {
    QString text = QString("%1 '%2'").arg(dialog->metaObject()->className(), dialog->windowTitle());
    if (auto* box = qobject_cast<QMessageBox*>(dialog)) text += ": " + box->text().simplified();
    return text;
}

// Every 100 ms, in whatever event loop runs (a dialog's included): the heartbeat, RSS, the
// open modal dialog.
void Monkey::watch() {
    g_heartbeat = g_clock.elapsed();
    const double now = seconds();
    if (now >= nextRssAt_) sampleRss();
    QWidget* modal = QApplication::activeModalWidget();
    if (modal != dialog_) {
        dialog_ = modal;
        answerAt_ = -1;
        if (!modal) return;
        dialogSince_ = now;
        ++dialogsSeen_;
        const bool expected = expectedDialogs_.contains(modal->windowTitle());
        logLine("dialog: %s (%s during #%d %s)", qPrintable(describe(modal)), expected ? "expected" : "NOT expected",
                actionNumber_, qPrintable(action_));
        if (expected) answerAt_ = now + std::uniform_real_distribution<double>(0.2, 1.5)(answers_);
        return;
    }
    if (!modal) return;
    if (answerAt_ >= 0 && now >= answerAt_) {
        answerAt_ = -1;
        answer(modal);
        return;
    }
    if (now - dialogSince_ > dialogTimeout_) {
        fail(QString("a modal dialog left unanswered for %1 s: %2 (during #%3 %4)")
                 .arg(dialogTimeout_).arg(describe(modal)).arg(actionNumber_).arg(action_));
        // Closed so the run can end and report; the failure stands.
        dialogSince_ = now;
        if (auto* box = qobject_cast<QDialog*>(modal)) box->reject(); else modal->close();
    }
}

void Monkey::answer(QWidget* dialog) {
    auto* box = qobject_cast<QMessageBox*>(dialog);
    if (!box) {
        logLine("dialog: closing %s", qPrintable(describe(dialog)));
        dialog->close();
        return;
    }
    QList<QAbstractButton*> buttons = box->buttons();
    if (box->windowTitle() == "Training is running") {
        // The monkey's own closing: always yes.
        box->button(QMessageBox::Yes)->click();
        logLine("dialog: answered Yes");
        return;
    }
    const int way = std::uniform_int_distribution<int>(0, 2)(answers_);
    if (buttons.size() > 1 || way == 0) {
        const int which = std::uniform_int_distribution<int>(0, static_cast<int>(buttons.size()) - 1)(answers_);
        QAbstractButton* button = buttons.value(which);
        logLine("dialog: clicking '%s'", qPrintable(plain(button->text())));
        QTest::mouseClick(button, Qt::LeftButton);
        if (box->isVisible()) button->click();
    } else {
        logLine("dialog: pressing %s", way == 1 ? "Return" : "Escape");
        QTest::keyClick(box, way == 1 ? Qt::Key_Return : Qt::Key_Escape);
    }
}

void Monkey::tick() {
    if (finishing_) return;
    const double now = seconds();
    if (guided_ && now - guidedStarted_ > 300) {
        fail(guidedTraining_ ? "the guided training did not end within 300 s" : "Explore did not score within 300 s of the guided training's end");
        guided_ = guidedTraining_ = false;
    }
    if (now >= minutes_ * 60 && quietUntil_ < 0) {
        finish();
        return;
    }
    if (!guided_ && !quietAtTwoMinutes_ && now >= 120) {
        quietAtTwoMinutes_ = true;
        quieten("minute 2");
    }
    // A guided run that is due waits, without random actions, until the training and Explore's
    // pass it stops have ended (a Start while a run ends would do nothing).
    const bool guidedDue = !guided_ && quietUntil_ < 0 && !guidedAt_.empty() && now >= guidedAt_.front();
    if (guidedDue && !QApplication::activeModalWidget()) {
        stopTrainingAndExplore();
        if (!window_.trainView()->isTraining() && !window_.exploreView()->isScoring()) {
            guidedAt_.erase(guidedAt_.begin());
            startGuidedRun(guidedAt_.size() == 1);  // the second of the three learns the folder's classes
        }
    }
    if (quietUntil_ >= 0) {
        if (now >= quietUntil_) {
            quietUntil_ = -1;
            sampleRss(true);
        }
        QTimer::singleShot(100, this, &Monkey::tick);
        return;
    }
    // A modal dialog (one an event raised, not an action) blocks the window, as for a user.
    if (!guided_ && !guidedDue && !QApplication::activeModalWidget()) {
        const Choice& choice = choices_[chooser_(random_)];
        action_ = choice.name;
        ++actionNumber_;
        expectedDialogs_.clear();
        count(action_);
        (this->*choice.act)();
        action_ += " (done)";
        expectedDialogs_.clear();
    }
    const int pause = chance(0.1) ? between(300, 1500) : between(5, 150);
    QTimer::singleShot(pause, this, &Monkey::tick);
}

void Monkey::finish() {
    finishing_ = true;
    action_ = "finishing";
    expectedDialogs_ = {"Training is running"};
    logLine("finishing after %d actions", actionNumber_);
    quieten("the end");
    window_.close();
    QTimer::singleShot(5000, this, &Monkey::end);
}

void Monkey::end() {
    sampleRss(true);
    watchdog_.stop();
    if (rss_) std::fclose(rss_);
    rss_ = nullptr;

    logLine("summary: %d actions, %d training starts asked for", actionNumber_, trainRuns_);
    logLine("summary: trainings that reached their end: %d guided (%d on the image folder), their models used in Draw "
            "and Explore; %d random ones", guidedEnded_, guidedEndedOnFolder_, otherTrainingsEnded_);
    // Runs of five minutes and more have room for all three.
    if (minutes_ >= 5 && (guidedEnded_ < 3 || guidedEndedOnFolder_ < 1))
        fail(QString("%1 of the 3 guided runs ended (%2 on the folder)").arg(guidedEnded_).arg(guidedEndedOnFolder_));
    for (const auto& [name, n] : counts_) logLine("summary: %-24s %6d", name.c_str(), n);
    if (rssAtTwoMinutes_ >= 0)
        logLine("summary: RSS at the quiet points: %.1f MB at minute 2, %.1f MB at the end (heap in use: the .rss.csv)",
                rssAtTwoMinutes_ / 1024.0, rssKb() / 1024.0);
    logLine("summary: %d failure(s)", failures_);
    QApplication::exit(exitCode());
}

}  // namespace monkey
