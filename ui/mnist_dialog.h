#pragma once
// Finds MNIST for the views that need it (Train, Explore). When the folder the app uses has
// no verified copy, a dialog offers to download it (oddigit::fetch_mnist, with progress and
// cancel) or to choose another folder. The folder chosen is remembered.
#include <QDialog>

#include "background_job.h"
#include "oddigit/mnist.h"

class QLabel;
class QProgressBar;
class QPushButton;

class MnistDialog : public QDialog {
    Q_OBJECT
public:
    // The folder the app reads MNIST from: the one chosen earlier, else the engine's default
    // ($ODDIGIT_DATA or ~/.local/share/oddigit/mnist).
    static QString folder();

    // The folder with the MNIST files asked for in it, asking the user when the app's folder
    // lacks one; empty when the user gave up.
    static QString ensure(QWidget* parent, oddigit::MnistFiles files = oddigit::MnistFiles::All);

    MnistDialog(const QString& reason, oddigit::MnistFiles files, QWidget* parent = nullptr);

    // Where MNIST was put or found once the dialog was accepted.
    QString chosenFolder() const { return folder_; }

private slots:
    void download();
    void chooseFolder();
    void cancelDownload();

private:
    void setBusy(bool busy);

    BackgroundJob job_{"MNIST download", JobKind::Batch};
    std::atomic<bool> cancelled_{false};
    oddigit::MnistFiles files_;
    QString folder_;
    QLabel* message_ = nullptr;
    QProgressBar* progress_ = nullptr;
    QPushButton* downloadButton_ = nullptr;
    QPushButton* chooseButton_ = nullptr;
    QPushButton* cancelButton_ = nullptr;
};
