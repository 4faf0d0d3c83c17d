#include "mnist_dialog.h"

#include <QDialogButtonBox>
#include <QFileDialog>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QVBoxLayout>

#include "oddigit/error.h"
#include "oddigit/fetch.h"
#include "oddigit/mnist.h"

namespace {
const char* const kFolderKey = "mnist/folder";

// The reason MNIST cannot be read from folder, or empty when it can (its headers, that is:
// a quick check the GUI thread can afford; the views load the data in the background).
QString problemWith(const QString& folder, oddigit::MnistFiles files) {
    try {
        oddigit::check_mnist(folder.toStdString(), files);
        return {};
    } catch (const std::exception& error) {
        return QString::fromStdString(error.what());
    }
}
}  // namespace

QString MnistDialog::folder() {
    const QString chosen = QSettings().value(kFolderKey).toString();
    return chosen.isEmpty() ? QString::fromStdString(oddigit::default_mnist_dir()) : chosen;
}

QString MnistDialog::ensure(QWidget* parent, oddigit::MnistFiles files) {
    const QString current = folder();
    const QString problem = problemWith(current, files);
    if (problem.isEmpty()) return current;
    MnistDialog dialog(problem, files, parent);
    return dialog.exec() == QDialog::Accepted ? dialog.chosenFolder() : QString();
}

MnistDialog::MnistDialog(const QString& reason, oddigit::MnistFiles files, QWidget* parent)
    : QDialog(parent), files_(files) {
    setWindowTitle(tr("MNIST is needed"));
    const QString need = files == oddigit::MnistFiles::TestSet
                             ? tr("Exploring needs the MNIST test digits, and the app could not read them")
                             : tr("Training needs the MNIST digits, and the app could not read them");
    message_ = new QLabel(tr("%1:\n%2\n\nDownload MNIST (about 11 MB; each file is checked by its SHA-256) into\n%3\n"
                             "or choose a folder that holds it.")
                              .arg(need, reason, folder()));
    message_->setWordWrap(true);
    progress_ = new QProgressBar;
    progress_->setVisible(false);
    downloadButton_ = new QPushButton(tr("&Download"));
    chooseButton_ = new QPushButton(tr("C&hoose Folder…"));
    cancelButton_ = new QPushButton(tr("Cancel"));
    auto* buttons = new QDialogButtonBox;
    buttons->addButton(downloadButton_, QDialogButtonBox::AcceptRole);
    buttons->addButton(chooseButton_, QDialogButtonBox::ActionRole);
    buttons->addButton(cancelButton_, QDialogButtonBox::RejectRole);
    // The buttons act themselves: the box must not close the dialog on Download.
    connect(downloadButton_, &QPushButton::clicked, this, &MnistDialog::download);
    connect(chooseButton_, &QPushButton::clicked, this, &MnistDialog::chooseFolder);
    connect(cancelButton_, &QPushButton::clicked, this, &MnistDialog::cancelDownload);
    connect(&job_, &BackgroundJob::progressed, this, [this](qint64 done, qint64 total) {
        progress_->setRange(0, static_cast<int>(total));
        progress_->setValue(static_cast<int>(done));
    });
    connect(&job_, &BackgroundJob::failed, this, [this](const QString& error) {
        setBusy(false);
        message_->setText(tr("The download failed:\n%1\n\nTry again, or choose a folder that holds MNIST.").arg(error));
    });
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(message_);
    layout->addWidget(progress_);
    layout->addWidget(buttons);
}

void MnistDialog::setBusy(bool busy) {
    progress_->setVisible(busy);
    downloadButton_->setEnabled(!busy);
    chooseButton_->setEnabled(!busy);
}

void MnistDialog::download() {
    setBusy(true);
    cancelled_ = false;
    message_->setText(tr("Downloading MNIST into %1…").arg(folder()));
    job_.start([this, target = folder()](JobContext& context) {
        oddigit::FetchParams params;
        params.dir = target.toStdString();
        oddigit::fetch_mnist(params, [this, &context](const oddigit::FetchProgress& p) {
            // Progress in kilobytes over the four files, each file a quarter of the bar.
            const qint64 fileShare = 1000;
            const qint64 done = (p.file_number - 1) * fileShare + (p.total > 0 ? fileShare * p.bytes / p.total : 0);
            context.progress(done, p.files * fileShare);
            return !cancelled_ && !context.cancelled();
        });
        context.deliver([this, target] {
            folder_ = target;
            accept();
        });
    });
}

void MnistDialog::chooseFolder() {
    const QString chosen = QFileDialog::getExistingDirectory(this, tr("Folder with the MNIST files"), folder());
    if (chosen.isEmpty()) return;
    const QString problem = problemWith(chosen, files_);
    if (!problem.isEmpty()) {
        message_->setText(tr("That folder does not hold MNIST:\n%1").arg(problem));
        return;
    }
    QSettings().setValue(kFolderKey, chosen);
    folder_ = chosen;
    accept();
}

void MnistDialog::cancelDownload() {
    if (job_.busy()) {
        cancelled_ = true;
        job_.cancel();
        setBusy(false);
        message_->setText(tr("Download cancelled; no partial file was kept."));
        return;
    }
    reject();
}
