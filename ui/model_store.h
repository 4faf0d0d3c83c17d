#pragma once
// The model the whole window works with: loaded once, shared read-only by the views,
// each of which scores on its own copy (AnomalyModel is not safe to share between threads).
#include <QObject>
#include <QString>
#include <QStringList>
#include <memory>

#include "oddigit/model.h"

class ModelStore : public QObject {
    Q_OBJECT
public:
    explicit ModelStore(QObject* parent = nullptr);

    // Loads a model file. Returns an empty string on success, else the reason; the
    // current model stays when loading fails.
    QString load(const QString& path);

    bool hasModel() const { return model_ != nullptr; }
    std::shared_ptr<const oddigit::AnomalyModel> model() const { return model_; }
    QString path() const { return path_; }
    // "all digits" or "digits 0, 2, 5".
    QString normalClassesText() const;
    QStringList recentModels() const;

signals:
    void modelChanged();

private:
    std::shared_ptr<const oddigit::AnomalyModel> model_;
    QString path_;
};
