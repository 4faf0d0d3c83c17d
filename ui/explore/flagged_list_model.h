#pragma once
// The Explore view's gallery: the flagged test images as a list model.
#include <QAbstractListModel>
#include <QStringList>
#include <vector>

#include "oddigit/image.h"

// The flagged images, most anomalous first, for the gallery.
class FlaggedListModel : public QAbstractListModel {
    Q_OBJECT
public:
    using QAbstractListModel::QAbstractListModel;
    // labelNames names the images' labels (the numbers are shown for a label beyond them).
    void setContents(const oddigit::LabelledImages* images, const std::vector<float>* scores, std::vector<int> rows,
                     const QStringList& labelNames = {});
    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    int imageIndex(int row) const { return rows_[row]; }
    const std::vector<int>& rows() const { return rows_; }

private:
    QString label(int image) const;

    const oddigit::LabelledImages* images_ = nullptr;
    const std::vector<float>* scores_ = nullptr;
    std::vector<int> rows_;
    QStringList labelNames_;
};
