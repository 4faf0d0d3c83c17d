#pragma once
// The application window: Draw, Train and Explore tabs over one shared model.
#include <QMainWindow>

class DrawView;
class ExploreView;
class ModelStore;
class QLabel;
class QMenu;
class QTabWidget;
class TrainView;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);

    // Opens a model; on failure shows the reason in a dialog (unless quiet) and keeps the
    // current model. Returns whether it loaded.
    bool openModel(const QString& path, bool quiet = false);
    // Opens an image file onto the Draw canvas; errors as for openModel.
    bool openImage(const QString& path, bool quiet = false);
    // Opens a drawing file (oddigit/drawing.h) onto the Draw canvas; errors as for openModel.
    bool openDrawing(const QString& path, bool quiet = false);
    // Opens a model (.safetensors), a drawing (.json) or an image, by its name.
    bool openFile(const QString& path, bool quiet = false);
    // Writes the canvas's strokes as a drawing file; errors as for openModel.
    bool saveDrawing(const QString& path, bool quiet = false);

    DrawView* drawView() const { return draw_; }
    TrainView* trainView() const { return train_; }
    ExploreView* exploreView() const { return explore_; }
    ModelStore* modelStore() const { return store_; }
    QTabWidget* tabs() const { return tabs_; }
    // The last error a dialog showed (for tests).
    QString lastError() const { return lastError_; }

protected:
    void closeEvent(QCloseEvent* event) override;
    // Sizes the window to the screen it opens on: the last session's geometry where it still
    // fits the screen's available area, else at most 1280x800 and nine tenths of that area.
    void fitToScreen(const QByteArray& lastGeometry);
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    void createMenus();
    void rebuildRecentMenu();
    void onModelChanged();
    void showError(const QString& title, const QString& message, bool quiet);
    void saveOverlay();

    ModelStore* store_ = nullptr;
    QTabWidget* tabs_ = nullptr;
    DrawView* draw_ = nullptr;
    TrainView* train_ = nullptr;
    ExploreView* explore_ = nullptr;
    QMenu* recentMenu_ = nullptr;
    QLabel* modelLabel_ = nullptr;
    QString lastError_;
};
