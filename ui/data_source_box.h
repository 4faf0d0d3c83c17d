#pragma once
// What a training learns from: MNIST, or an image folder (one subfolder per class), with an
// optional test folder of the same classes for Explore. A folder's classes are read from its
// subfolders' names at once, without reading an image.
#include <QGroupBox>
#include <QStringList>

class QCheckBox;
class QLineEdit;
class QRadioButton;

class DataSourceBox : public QGroupBox {
    Q_OBJECT
public:
    explicit DataSourceBox(QWidget* parent = nullptr);

    bool usesFolder() const;
    QString folder() const;
    QString testFolder() const;
    bool asIs() const;
    // The classes of the chosen source: MNIST's ten digits, or the folder's class folders (the
    // folder's own name for a flat folder of images); empty for a folder not found.
    QStringList classes() const;
    // Chooses the folder (empty: MNIST), as the form would.
    void setFolder(const QString& folder, bool asIs = false, const QString& testFolder = {});

signals:
    void classesChanged(const QStringList& names);

private:
    // The edit with a browse button beside it.
    QWidget* pathRow(QLineEdit* edit, const QString& title);

    QRadioButton* mnist_ = nullptr;
    QRadioButton* images_ = nullptr;
    QLineEdit* folder_ = nullptr;
    QLineEdit* testFolder_ = nullptr;
    QCheckBox* asIs_ = nullptr;
};
