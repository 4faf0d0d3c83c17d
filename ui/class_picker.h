#pragma once
// The normal classes of a training, picked by check boxes: MNIST's ten digits, or the classes
// of an image folder (up to 32), with All and None.
#include <QStringList>
#include <QVector>
#include <QWidget>

class QCheckBox;
class QGridLayout;

class ClassPicker : public QWidget {
    Q_OBJECT
public:
    explicit ClassPicker(QWidget* parent = nullptr);

    // Offers these classes, all ticked (the ten digits by default).
    void setClasses(const QStringList& names);
    const QStringList& classes() const { return names_; }
    // Ticks the classes named ("all", or names joined by commas) and unticks the others.
    void setChosen(const QString& text);
    // "all", the ticked names joined by commas, or empty when none is ticked.
    QString chosen() const;

private:
    QStringList names_;
    QVector<QCheckBox*> boxes_;
    QGridLayout* grid_ = nullptr;
};
