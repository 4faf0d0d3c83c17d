// The monkey's actions: strokes, undo and redo, tabs, resizes, dropped files, trainings,
// Explore's pass, colours and settings, each as a user's hand or a direct call.
#include <QAbstractButton>
#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QFileInfo>
#include <QMimeData>
#include <QMouseEvent>
#include <QSlider>
#include <QSpinBox>
#include <QTabBar>
#include <QTabWidget>
#include <QTest>
#include <QUrl>

#include <algorithm>

#include "draw_view.h"
#include "drawing_canvas.h"
#include "explore/explore_view.h"
#include "main_window.h"
#include "monkey.h"
#include "monkey_support.h"
#include "train_view.h"
#include "training_worker.h"
#include "ui_test_support.h"

namespace monkey {

QPushButton* Monkey::findButton(QWidget* in, const QString& text) const {
    for (QPushButton* button : in->findChildren<QPushButton*>())
        if (plain(button->text()) == text) return button;
    return nullptr;
}

bool Monkey::key(int key, Qt::KeyboardModifiers modifiers) {
    if (QApplication::activeWindow() != &window_) {
        window_.activateWindow();
        if (QApplication::activeWindow() != &window_) return false;
    }
    QTest::keyClick(&window_, static_cast<Qt::Key>(key), modifiers);
    return true;
}

void Monkey::press(QAbstractButton* button) {
    const bool mouse = chance(0.7);
    if (mouse && button->isVisible())
        QTest::mouseClick(button, Qt::LeftButton);
    else
        button->click();
}

void Monkey::stroke() {
    // Points mostly on the canvas, now and then off its edges; a single point is a dot.
    QList<QPointF> points;
    const int n = chance(0.1) ? 1 : between(2, 12);
    QPointF at(uniform(-20, 300), uniform(-20, 300));
    for (int i = 0; i < n; ++i) {
        points << at;
        at += QPointF(uniform(-80, 80), uniform(-80, 80));
        at = QPointF(std::clamp(at.x(), -40.0, 320.0), std::clamp(at.y(), -40.0, 320.0));
    }
    logLine("#%d stroke: %lld points from (%.0f, %.0f)", actionNumber_, static_cast<long long>(points.size()),
            points.first().x(), points.first().y());
    ui_test::drawStroke(window_.drawView()->canvas(), points);
}

void Monkey::hover() {
    DrawingCanvas* canvas = window_.drawView()->canvas();
    const QPointF at(uniform(0, canvas->width()), uniform(0, canvas->height()));
    logLine("#%d hover at (%.0f, %.0f)", actionNumber_, at.x(), at.y());
    QMouseEvent move(QEvent::MouseMove, at, canvas->mapToGlobal(at), Qt::NoButton, Qt::NoButton, Qt::NoModifier);
    QApplication::sendEvent(canvas, &move);
    if (chance(0.3)) {
        QEvent leave(QEvent::Leave);
        QApplication::sendEvent(canvas, &leave);
    }
}

void Monkey::undo() {
    const int way = pick(3);
    logLine("#%d undo (%s)", actionNumber_, way == 0 ? "Ctrl+Z" : way == 1 ? "button" : "stack");
    if (way == 0 && key(Qt::Key_Z, Qt::ControlModifier)) return;
    if (way == 1) return press(drawUndo_);
    window_.drawView()->canvas()->undoStack()->undo();
}

void Monkey::redo() {
    const int way = pick(3);
    logLine("#%d redo (%s)", actionNumber_, way == 0 ? "Ctrl+Shift+Z" : way == 1 ? "button" : "stack");
    if (way == 0 && key(Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier)) return;
    if (way == 1) return press(drawRedo_);
    window_.drawView()->canvas()->undoStack()->redo();
}

void Monkey::clearCanvas() {
    const int way = pick(3);
    logLine("#%d clear (%s)", actionNumber_, way == 0 ? "Ctrl+Backspace" : way == 1 ? "button" : "direct");
    if (way == 0 && key(Qt::Key_Backspace, Qt::ControlModifier)) return;
    if (way == 1) return press(drawClear_);
    window_.drawView()->canvas()->clear();
}

void Monkey::switchTab() {
    const int tab = pick(3), way = pick(3);
    logLine("#%d tab %d (%s)", actionNumber_, tab, way == 0 ? "Ctrl+digit" : way == 1 ? "tab bar" : "direct");
    if (way == 0 && key(Qt::Key_1 + tab, Qt::ControlModifier)) return;
    QTabBar* bar = window_.tabs()->tabBar();
    if (way == 1 && bar->isVisible()) return QTest::mouseClick(bar, Qt::LeftButton, {}, bar->tabRect(tab).center());
    window_.tabs()->setCurrentIndex(tab);
}

void Monkey::resizeWindow() {
    const QSize size = chance(0.15) ? QSize(between(50, 400), between(50, 300)) : QSize(between(400, 2200), between(300, 1400));
    logLine("#%d resize to %dx%d", actionNumber_, size.width(), size.height());
    window_.resize(size);
}

void Monkey::dropFile() {
    // Now and then a file training wrote (a model, its resume file, its metrics).
    // (The same draws whatever training left, so that the actions after stay the seed's.)
    const bool wantTrained = chance(0.1);
    const double which = uniform(0, 1);
    const QPoint at(between(0, std::max(1, window_.width() - 1)), between(0, std::max(1, window_.height() - 1)));
    DropFile drop;
    const QFileInfoList trained = QDir(dir_.filePath("train")).entryInfoList(QDir::Files, QDir::Name);
    if (wantTrained && !trained.isEmpty())
        drop = {"trained-file", trained[static_cast<int>(which * trained.size())].filePath(), Expect::Either};
    else
        drop = drops_[static_cast<size_t>(which * drops_.size())];
    count("drop:" + drop.kind);
    action_ = "drop " + QFileInfo(drop.path).fileName();
    if (drop.expect != Expect::Opens) expectedDialogs_ = {"Cannot open the model", "Cannot open the image"};
    logLine("#%d drop %s: %s", actionNumber_, qPrintable(drop.kind), qPrintable(drop.path));
    QMimeData mime;
    mime.setUrls({drop.path.contains("://") ? QUrl(drop.path) : QUrl::fromLocalFile(drop.path)});
    QDragEnterEvent enter(at, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(&window_, &enter);
    if (!enter.isAccepted()) {
        logLine("#%d drop: the window refused the drag", actionNumber_);
        return;
    }
    QDropEvent dropEvent(at, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    const int dialogsBefore = dialogsSeen_;
    QApplication::sendEvent(&window_, &dropEvent);
    // The error box of a refusal is modal: it was seen (and answered) before sendEvent returned.
    if (drop.expect == Expect::Refused && dialogsSeen_ == dialogsBefore)
        fail(QString("%1 opened without an error, and should have been refused").arg(drop.path));
}

void Monkey::trainStart() {
    TrainView* view = window_.trainView();
    // Tiny runs: at most a few thousand images for a few epochs. Three names, so that a
    // start often finds an earlier run there and asks.
    const QString output = dir_.filePath(QString("train/run-%1.safetensors").arg(pick(3)));
    const int gan = between(1, 3), encoder = between(1, 2), images = between(128, 1500);
    // One run in four learns the image folder's named classes instead of MNIST's digits.
    const bool folder = chance(0.25);
    const QStringList classes = folder ? QStringList{"ring", "stick", "hook"} : QStringList{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};
    QStringList digits;
    for (const QString& name : classes)
        if (chance(0.2)) digits << name;
    if (digits.isEmpty() && chance(0.8)) digits << classes[pick(static_cast<int>(classes.size()))];
    const int way = pick(3);
    logLine("#%d train start (%s): %s, %d+%d epochs, %d images, %s '%s'%s", actionNumber_,
            way == 0 ? "F5" : way == 1 ? "button" : "direct", qPrintable(output), gan, encoder, images,
            folder ? "folder classes" : "digits", qPrintable(digits.join(',')), view->isTraining() ? " while training" : "");
    if (!view->isTraining()) {
        // The form is filled only between runs (a run keeps the settings it started with).
        ui_test::prepareRun(window_, output, gan, encoder, images);
        if (folder)
            view->setImageFolder(dir_.filePath("folder/train"), chance(0.5), dir_.filePath("folder/test"));
        else
            view->setImageFolder({});
        if (digits.isEmpty()) {
            for (QAbstractButton* box : view->findChild<QWidget*>("normalClasses")->findChildren<QAbstractButton*>())
                box->setChecked(false);
        } else {
            view->setNormalClasses(digits.join(','));
        }
        ++trainRuns_;
    }
    expectedDialogs_ = {"A run is already there"};
    // The buttons' keys work where the Train view shows.
    if (way == 0 && window_.tabs()->currentWidget() == view && key(Qt::Key_F5)) {
        // A button's shortcut clicks it once its press has shown (QAbstractButton::animateClick):
        // wait for that within this action, which the question belongs to.
        QTest::qWait(250);
    } else if (way == 1) {
        press(trainStart_);
    } else {
        view->start();
    }
    logLine("#%d train: %s", actionNumber_, view->isTraining() ? "running" : "not running");
}

void Monkey::trainPause() {
    const int way = pick(2);
    logLine("#%d train %s (%s)", actionNumber_, qPrintable(plain(trainPause_->text()).toLower()), way == 0 ? "F6" : "button");
    if (!(way == 0 && window_.tabs()->currentWidget() == window_.trainView() && key(Qt::Key_F6))) press(trainPause_);
    logLine("#%d train: %s", actionNumber_, !window_.trainView()->isTraining() ? "not running"
                                            : window_.trainView()->worker().paused() ? "paused" : "running");
}

void Monkey::trainCancel() {
    const int way = pick(2);
    logLine("#%d train cancel (%s)", actionNumber_, way == 0 ? "Shift+F5" : "button");
    if (!(way == 0 && window_.tabs()->currentWidget() == window_.trainView() && key(Qt::Key_F5, Qt::ShiftModifier)))
        press(trainCancel_);
}

void Monkey::trainUse() {
    logLine("#%d use the trained model (%s)", actionNumber_, trainUse_->isEnabled() ? "enabled" : "disabled");
    press(trainUse_);
}

void Monkey::exploreScore() {
    logLine("#%d explore: score the test set", actionNumber_);
    if (chance(0.5)) return press(exploreScore_);
    window_.exploreView()->scoreTestSet();
}

void Monkey::exploreCancel() {
    logLine("#%d explore: cancel (%s)", actionNumber_, window_.exploreView()->isScoring() ? "scoring" : "idle");
    if (chance(0.5)) return press(exploreCancel_);
    window_.exploreView()->cancelScoring();
}

void Monkey::colourScheme() {
    QAction* scheme = schemes_[pick(static_cast<int>(schemes_.size()))];
    logLine("#%d colours: %s", actionNumber_, qPrintable(plain(scheme->text())));
    scheme->trigger();
}

void Monkey::drawSettings() {
    DrawView* view = window_.drawView();
    const int which = pick(3);
    if (which == 0) {
        if (auto* box = view->findChild<QComboBox*>()) {
            const int index = pick(std::max(1, box->count()));
            logLine("#%d draw: colormap %d", actionNumber_, index);
            box->setCurrentIndex(index);
        }
    } else if (which == 1) {
        if (auto* slider = view->findChild<QSlider*>()) {
            const int value = between(slider->minimum(), slider->maximum());
            logLine("#%d draw: opacity %d", actionNumber_, value);
            slider->setValue(value);
        }
    } else if (auto* spin = view->findChild<QSpinBox*>()) {
        const int value = between(spin->minimum(), spin->maximum());
        logLine("#%d draw: pen width %d", actionNumber_, value);
        spin->setValue(value);
    }
}

void Monkey::exploreSettings() {
    ExploreView* view = window_.exploreView();
    const QList<QComboBox*> boxes = view->findChildren<QComboBox*>();
    const QList<QSlider*> sliders = view->findChildren<QSlider*>();
    if (!boxes.isEmpty() && (sliders.isEmpty() || chance(0.6))) {
        const int which = pick(static_cast<int>(boxes.size()));
        QComboBox* box = boxes[which];
        const int index = pick(std::max(1, box->count()));
        logLine("#%d explore: combo box %d to %d", actionNumber_, which, index);
        box->setCurrentIndex(index);
    } else if (!sliders.isEmpty()) {
        QSlider* slider = sliders[pick(static_cast<int>(sliders.size()))];
        const int value = between(slider->minimum(), slider->maximum());
        logLine("#%d explore: slider to %d", actionNumber_, value);
        slider->setValue(value);
    }
}

}  // namespace monkey
