#include "class_picker.h"

#include <QCheckBox>
#include <QGridLayout>
#include <QPushButton>

namespace {
// Check boxes a row.
constexpr int kColumns = 5;
}  // namespace

ClassPicker::ClassPicker(QWidget* parent) : QWidget(parent) {
    grid_ = new QGridLayout(this);
    grid_->setContentsMargins(0, 0, 0, 0);
    auto* all = new QPushButton(tr("All"));
    auto* none = new QPushButton(tr("None"));
    grid_->addWidget(all, 0, kColumns);
    grid_->addWidget(none, 1, kColumns);
    connect(all, &QPushButton::clicked, this, [this] { setChosen("all"); });
    connect(none, &QPushButton::clicked, this, [this] { setChosen({}); });
    setClasses({"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"});
}

void ClassPicker::setClasses(const QStringList& names) {
    names_ = names;
    // Boxes are kept once made (hidden while unused): none is deleted under a signal that may
    // come from one of them.
    while (boxes_.size() < names.size()) {
        auto* box = new QCheckBox(this);
        grid_->addWidget(box, static_cast<int>(boxes_.size()) / kColumns, static_cast<int>(boxes_.size()) % kColumns);
        boxes_.append(box);
    }
    for (int i = 0; i < boxes_.size(); ++i) {
        boxes_[i]->setVisible(i < names.size());
        boxes_[i]->setText(i < names.size() ? names[i] : QString());
        boxes_[i]->setChecked(i < names.size());
    }
}

void ClassPicker::setChosen(const QString& text) {
    const QStringList chosen = text.split(',', Qt::SkipEmptyParts);
    for (int i = 0; i < names_.size(); ++i) boxes_[i]->setChecked(text == "all" || chosen.contains(names_[i]));
}

QString ClassPicker::chosen() const {
    QStringList ticked;
    for (int i = 0; i < names_.size(); ++i)
        if (boxes_[i]->isChecked()) ticked << names_[i];
    return ticked.size() == names_.size() && !names_.isEmpty() ? QString("all") : ticked.join(',');
}
