#include "explore/flagged_list_model.h"

#include <QPixmap>

#include "image_conversions.h"

namespace {
// Thumbnail zoom in the gallery.
constexpr int kThumbnailZoom = 2;
}  // namespace

void FlaggedListModel::setContents(const oddigit::LabelledImages* images, const std::vector<float>* scores,
                                   std::vector<int> rows, const QStringList& labelNames) {
    beginResetModel();
    images_ = images;
    labelNames_ = labelNames;
    scores_ = scores;
    rows_ = std::move(rows);
    endResetModel();
}

int FlaggedListModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(rows_.size());
}

QVariant FlaggedListModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || !images_) return {};
    const int image = rows_[index.row()];
    switch (role) {
        case Qt::DecorationRole: return image_conversions::thumbnail(images_->images.image(image), kThumbnailZoom);
        case Qt::DisplayRole: return QString("%1 · %2").arg(label(image)).arg((*scores_)[image], 0, 'g', 3);
        case Qt::ToolTipRole:
            return QObject::tr("test image %1, label %2, score %3").arg(image).arg(label(image)).arg((*scores_)[image]);
        default: return {};
    }
}

QString FlaggedListModel::label(int image) const {
    const int index = images_->labels[image];
    return index < labelNames_.size() ? labelNames_[index] : QString::number(index);
}
