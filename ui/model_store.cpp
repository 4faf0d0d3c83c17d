#include "model_store.h"

#include <QFileInfo>
#include <QSettings>

#include "oddigit/error.h"

namespace {
constexpr int kMaxRecentModels = 8;
const char* const kRecentKey = "recentModels";
}  // namespace

ModelStore::ModelStore(QObject* parent) : QObject(parent) {}

QString ModelStore::load(const QString& path) {
    try {
        auto loaded = std::make_shared<const oddigit::AnomalyModel>(oddigit::AnomalyModel::load(path.toStdString()));
        model_ = std::move(loaded);
    } catch (const std::exception& error) {
        return QString::fromStdString(error.what());
    }
    path_ = QFileInfo(path).absoluteFilePath();
    QSettings settings;
    QStringList recent = settings.value(kRecentKey).toStringList();
    recent.removeAll(path_);
    recent.prepend(path_);
    while (recent.size() > kMaxRecentModels) recent.removeLast();
    settings.setValue(kRecentKey, recent);
    emit modelChanged();
    return {};
}

QString ModelStore::normalClassesText() const {
    if (!model_) return tr("no model");
    const oddigit::ClassSet& classes = model_->info().normal_classes;
    if (classes.is_all()) return tr("all digits normal");
    return tr("normal digits: %1").arg(QString::fromStdString(classes.to_string()).replace(",", ", "));
}

QStringList ModelStore::recentModels() const { return QSettings().value(kRecentKey).toStringList(); }
