#include "main_window.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QCloseEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QImageReader>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QScreen>
#include <QSettings>
#include <QStatusBar>
#include <QStyle>
#include <QTabWidget>

#include "appearance.h"
#include "draw_view.h"
#include "drawing_canvas.h"
#include "explore/explore_view.h"
#include "image_conversions.h"
#include "model_store.h"
#include "oddigit/drawing.h"
#include "oddigit/preprocess.h"
#include "train_view.h"
#include "oddigit/score.h"

namespace {
// Largest image opened, in pixels: far beyond any scan or photo of a digit.
constexpr qint64 kMaxImagePixels = 100'000'000;
}  // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
    store_ = new ModelStore(this);
    tabs_ = new QTabWidget;
    draw_ = new DrawView;
    train_ = new TrainView;
    explore_ = new ExploreView;
    tabs_->addTab(draw_, tr("&Draw"));
    tabs_->addTab(train_, tr("&Train"));
    tabs_->addTab(explore_, tr("&Explore"));
    setCentralWidget(tabs_);
    setAcceptDrops(true);
    modelLabel_ = new QLabel;
    statusBar()->addPermanentWidget(modelLabel_);
    createMenus();

    connect(store_, &ModelStore::modelChanged, this, &MainWindow::onModelChanged);
    connect(train_, &TrainView::modelReady, this, [this](const QString& path) {
        if (openModel(path)) tabs_->setCurrentWidget(draw_);
    });
    connect(train_, &TrainView::statusMessage, this, [this](const QString& text) { statusBar()->showMessage(text, 5000); });
    connect(explore_, &ExploreView::statusMessage, this, [this](const QString& text) { statusBar()->showMessage(text, 5000); });
    connect(draw_, &DrawView::failed, this,
            [this](const QString& message) { showError(tr("Scoring the drawing failed"), message, false); });
    connect(explore_, &ExploreView::failed, this,
            [this](const QString& message) { showError(tr("Exploring the test set failed"), message, false); });
    connect(train_, &TrainView::failed, this, [this](const QString& message) { showError(tr("Training failed"), message, false); });
    connect(draw_, &DrawView::scoredDrawing, this, [this](const DrawingScore& result) {
        if (!result.judged.blank) statusBar()->showMessage(tr("Scored in %1 ms").arg(result.milliseconds, 0, 'f', 1), 3000);
    });

    const QSettings settings;
    fitToScreen(settings.value("window/geometry").toByteArray());
    tabs_->setCurrentIndex(settings.value("window/tab", 0).toInt());
    onModelChanged();
}

void MainWindow::fitToScreen(const QByteArray& lastGeometry) {
    const QRect available = screen()->availableGeometry();
    if (restoreGeometry(lastGeometry) && available.contains(frameGeometry())) return;
    // 1280x800 where the screen has room for it, else nine tenths of it, centred.
    const QSize size = QSize(1280, 800).boundedTo(available.size() * 0.9);
    setGeometry(QStyle::alignedRect(Qt::LeftToRight, Qt::AlignCenter, size, available));
}

void MainWindow::createMenus() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    QAction* openAction = file->addAction(tr("&Open…"), this, [this] {
        const QString path = QFileDialog::getOpenFileName(
            this, tr("Open a model, a drawing or an image"), QFileInfo(store_->path()).path(),
            tr("Models, drawings and images (*.safetensors *.json *.png *.jpg *.jpeg *.bmp);;Oddigit models "
               "(*.safetensors);;Drawings (*.json);;Images (*.png *.jpg *.jpeg *.bmp)"));
        if (!path.isEmpty()) openFile(path);
    });
    openAction->setShortcut(QKeySequence::Open);
    recentMenu_ = file->addMenu(tr("&Recent Models"));
    QAction* saveStrokesAction = file->addAction(tr("Save S&trokes…"), this, [this] {
        const QString path = QFileDialog::getSaveFileName(this, tr("Save strokes"), "drawing.json", tr("Drawings (*.json)"));
        if (!path.isEmpty()) saveDrawing(path);
    });
    saveStrokesAction->setShortcut(QKeySequence::Save);
    QAction* saveOverlayAction = file->addAction(tr("Save Overlay as &PNG…"), this, &MainWindow::saveOverlay);
    saveOverlayAction->setShortcut(QKeySequence(tr("Ctrl+Shift+S")));
    file->addSeparator();
    QAction* quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);

    QMenu* edit = menuBar()->addMenu(tr("&Edit"));
    QAction* undo = draw_->canvas()->undoStack()->createUndoAction(this, tr("&Undo"));
    undo->setShortcut(QKeySequence::Undo);
    QAction* redo = draw_->canvas()->undoStack()->createRedoAction(this, tr("&Redo"));
    redo->setShortcuts({QKeySequence::Redo, QKeySequence(tr("Ctrl+Shift+Z"))});
    edit->addAction(undo);
    edit->addAction(redo);
    QAction* clear = edit->addAction(tr("&Clear Canvas"), draw_->canvas(), &DrawingCanvas::clear);
    clear->setShortcut(QKeySequence(tr("Ctrl+Backspace")));

    QMenu* view = menuBar()->addMenu(tr("&View"));
    const QList<QPair<QString, QWidget*>> pages = {{tr("&Draw"), draw_}, {tr("&Train"), train_}, {tr("&Explore"), explore_}};
    for (int i = 0; i < pages.size(); ++i) {
        QAction* show = view->addAction(pages[i].first, this, [this, page = pages[i].second] { tabs_->setCurrentWidget(page); });
        show->setShortcut(QKeySequence(Qt::CTRL | static_cast<Qt::Key>(Qt::Key_1 + i)));
    }
    view->addSeparator();
    QMenu* colours = view->addMenu(tr("&Colours"));
    auto* schemes = new QActionGroup(this);
    const QList<QPair<QString, ColorScheme>> choices = {
        {tr("&System"), ColorScheme::System}, {tr("&Light"), ColorScheme::Light}, {tr("&Dark"), ColorScheme::Dark}};
    for (const auto& [name, scheme] : choices) {
        QAction* choose = colours->addAction(name, this, [scheme = scheme] {
            appearance::apply(scheme);
            appearance::save(scheme);
        });
        choose->setCheckable(true);
        schemes->addAction(choose);
        connect(colours, &QMenu::aboutToShow, choose, [choose, scheme = scheme] { choose->setChecked(appearance::current() == scheme); });
    }

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About Oddigit"), this, [this] {
        QMessageBox::about(this, tr("About Oddigit"),
                           tr("<h3>Oddigit %1</h3><p>A GAN trained on handwritten digits scores how odd a digit "
                              "looks and shows which strokes make it so (f-AnoGAN: reconstruction residual plus "
                              "κ times the discriminator-feature residual), and its discriminator's digit head "
                              "says which digit a drawing looks like, or that none fits.</p>")
                               .arg(QApplication::applicationVersion()));
    });
    help->addAction(tr("About &Qt"), qApp, &QApplication::aboutQt);
    connect(file, &QMenu::aboutToShow, this, &MainWindow::rebuildRecentMenu);
}

void MainWindow::rebuildRecentMenu() {
    recentMenu_->clear();
    for (const QString& path : store_->recentModels())
        recentMenu_->addAction(QFileInfo(path).fileName(), this, [this, path] { openModel(path); })->setToolTip(path);
    recentMenu_->setEnabled(!recentMenu_->isEmpty());
}

bool MainWindow::openModel(const QString& path, bool quiet) {
    const QString error = store_->load(path);
    if (error.isEmpty()) return true;
    showError(tr("Cannot open the model"), error, quiet);
    return false;
}

bool MainWindow::openImage(const QString& path, bool quiet) {
    // The header alone tells the size: a file that claims more pixels than any drawing has
    // is refused before anything decodes it.
    const QSize size = QImageReader(path).size();
    if (qint64{size.width()} * size.height() > kMaxImagePixels) {
        showError(tr("Cannot open the image"),
                  tr("'%1' is too large: %2 x %3 pixels (at most %4 million)")
                      .arg(path).arg(size.width()).arg(size.height()).arg(kMaxImagePixels / 1000000),
                  quiet);
        return false;
    }
    try {
        draw_->showImage(oddigit::load_gray_image(path.toStdString()));
        tabs_->setCurrentWidget(draw_);
        statusBar()->showMessage(tr("Scoring %1").arg(QFileInfo(path).fileName()), 3000);
        return true;
    } catch (const std::exception& error) {
        showError(tr("Cannot open the image"), QString::fromStdString(error.what()), quiet);
        return false;
    }
}

bool MainWindow::openDrawing(const QString& path, bool quiet) {
    try {
        draw_->showDrawing(oddigit::read_drawing(path.toStdString()));
        tabs_->setCurrentWidget(draw_);
        statusBar()->showMessage(tr("Scoring %1").arg(QFileInfo(path).fileName()), 3000);
        return true;
    } catch (const std::exception& error) {
        showError(tr("Cannot open the drawing"), QString::fromStdString(error.what()), quiet);
        return false;
    }
}

bool MainWindow::openFile(const QString& path, bool quiet) {
    if (path.endsWith(".safetensors", Qt::CaseInsensitive)) return openModel(path, quiet);
    if (path.endsWith(".json", Qt::CaseInsensitive)) return openDrawing(path, quiet);
    return openImage(path, quiet);
}

bool MainWindow::saveDrawing(const QString& path, bool quiet) {
    try {
        oddigit::write_drawing(path.toStdString(), draw_->canvas()->currentDrawing());
        statusBar()->showMessage(tr("Saved the strokes to %1").arg(path), 3000);
        return true;
    } catch (const std::exception& error) {
        showError(tr("Cannot save the strokes"), QString::fromStdString(error.what()), quiet);
        return false;
    }
}

void MainWindow::showError(const QString& title, const QString& message, bool quiet) {
    lastError_ = message;
    statusBar()->showMessage(message, 8000);
    if (!quiet) QMessageBox::critical(this, title, message);
}

void MainWindow::onModelChanged() {
    const auto model = store_->model();
    draw_->setModel(model);
    explore_->setModel(model);
    const QString name = model ? QFileInfo(store_->path()).fileName() : tr("no model");
    setWindowTitle(tr("%1 — Oddigit").arg(name));
    if (!model) {
        modelLabel_->setText(tr("No model: File > Open"));
        return;
    }
    const oddigit::ModelInfo& info = model->info();
    const auto thresholds = [&](oddigit::InputKind input) {
        const oddigit::Calibration& set = oddigit::calibration_for(info, input);
        return tr("stroke %1, shape %2")
            .arg(set.stroke, 0, 'g', 3)
            .arg(oddigit::has_shape_channel(info) ? QString::number(set.shape, 'g', 3) : tr("none"));
    };
    QString text = tr("%1 · %2 · thresholds: %3").arg(name, store_->normalClassesText(), thresholds(oddigit::InputKind::Scanned));
    if (info.canvas.is_set()) text += tr("; drawings: %1").arg(thresholds(oddigit::InputKind::Drawn));
    modelLabel_->setText(text);
}

void MainWindow::saveOverlay() {
    const QString path = QFileDialog::getSaveFileName(this, tr("Save overlay"), "oddigit-overlay.png", tr("PNG (*.png)"));
    if (path.isEmpty()) return;
    if (!draw_->overlayImage().save(path, "PNG")) showError(tr("Cannot save"), tr("Could not write %1").arg(path), false);
}

void MainWindow::closeEvent(QCloseEvent* event) {
    if (train_->isTraining()) {
        const auto answer = QMessageBox::question(
            this, tr("Training is running"),
            tr("Stop training and quit? The last finished epoch is saved and can be resumed later."));
        if (answer != QMessageBox::Yes) {
            event->ignore();
            return;
        }
        train_->stopTraining();
    }
    explore_->cancelScoring();
    QSettings settings;
    settings.setValue("window/geometry", saveGeometry());
    settings.setValue("window/tab", tabs_->currentIndex());
    event->accept();
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
    if (event->mimeData()->hasUrls()) event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event) {
    const QList<QUrl> urls = event->mimeData()->urls();
    if (urls.isEmpty() || !urls.first().isLocalFile()) return;
    openFile(urls.first().toLocalFile());
    event->acceptProposedAction();
}
