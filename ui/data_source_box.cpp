#include "data_source_box.h"

#include <QCheckBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QPushButton>
#include <QRadioButton>

#include "oddigit/error.h"
#include "oddigit/image_folder.h"

namespace {
const QStringList kDigits = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};
}  // namespace

DataSourceBox::DataSourceBox(QWidget* parent) : QGroupBox(tr("Data"), parent) {
    mnist_ = new QRadioButton(tr("MNIST"));
    images_ = new QRadioButton(tr("Image folder"));
    mnist_->setChecked(true);
    folder_ = new QLineEdit;
    folder_->setPlaceholderText(tr("a folder with one subfolder per class"));
    testFolder_ = new QLineEdit;
    testFolder_->setPlaceholderText(tr("optional: a test folder of the same classes, for Explore"));
    asIs_ = new QCheckBox(tr("Images are 28x28 in MNIST framing: take them as they are"));
    auto* choice = new QHBoxLayout;
    choice->addWidget(mnist_);
    choice->addWidget(images_);
    choice->addStretch(1);
    auto* form = new QFormLayout(this);
    form->addRow(choice);
    QWidget* folderRow = pathRow(folder_, tr("Folder of training images"));
    QWidget* testRow = pathRow(testFolder_, tr("Folder of test images"));
    form->addRow(tr("Folder"), folderRow);
    form->addRow(tr("Test folder"), testRow);
    form->addRow(asIs_);
    const auto refresh = [this, folderRow, testRow] {
        for (QWidget* widget : {folderRow, testRow, static_cast<QWidget*>(asIs_)}) widget->setEnabled(images_->isChecked());
        emit classesChanged(classes());
    };
    connect(images_, &QRadioButton::toggled, this, refresh);
    connect(folder_, &QLineEdit::textChanged, this, refresh);
    refresh();
}

QWidget* DataSourceBox::pathRow(QLineEdit* edit, const QString& title) {
    auto* row = new QWidget;
    auto* layout = new QHBoxLayout(row);
    layout->setContentsMargins(0, 0, 0, 0);
    auto* browse = new QPushButton(tr("…"));
    layout->addWidget(edit, 1);
    layout->addWidget(browse);
    connect(browse, &QPushButton::clicked, this, [this, edit, title] {
        const QString dir = QFileDialog::getExistingDirectory(this, title, edit->text());
        if (!dir.isEmpty()) edit->setText(dir);
    });
    return row;
}

bool DataSourceBox::usesFolder() const { return images_->isChecked(); }
QString DataSourceBox::folder() const { return usesFolder() ? folder_->text() : QString(); }
QString DataSourceBox::testFolder() const { return usesFolder() ? testFolder_->text() : QString(); }
bool DataSourceBox::asIs() const { return usesFolder() && asIs_->isChecked(); }

QStringList DataSourceBox::classes() const {
    if (!usesFolder()) return kDigits;
    if (folder_->text().isEmpty()) return {};
    QStringList names;
    try {
        for (const std::string& name : oddigit::image_folder_classes(folder_->text().toStdString()))
            names << QString::fromStdString(name);
    } catch (const oddigit::Error&) {
        // Not a folder of images (yet): nothing to offer; Start says why.
    }
    return names;
}

void DataSourceBox::setFolder(const QString& folder, bool asIs, const QString& testFolder) {
    (folder.isEmpty() ? mnist_ : images_)->setChecked(true);
    asIs_->setChecked(asIs);
    testFolder_->setText(testFolder);
    folder_->setText(folder);
}
