#pragma once
// The training dashboard: settings, start/pause/cancel, live curves, samples, progress.
#include <QElapsedTimer>
#include <QWidget>

#include "training_worker.h"

class ClassPicker;
class DataSourceBox;
class LossPlot;
class QCheckBox;
class QDoubleSpinBox;
class QGroupBox;
class QHBoxLayout;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QVBoxLayout;

class TrainView : public QWidget {
    Q_OBJECT
public:
    explicit TrainView(QWidget* parent = nullptr);

    bool isTraining() const { return worker_.running(); }
    // Cancels a running training and waits for it; its last finished epoch stays on disk.
    void stopTraining() { worker_.stopAndWait(); }
    TrainingWorker& worker() { return worker_; }
    LossPlot* lossPlot() const { return plot_; }
    // Fills the form (used by tests and by File > Train from checkpoint).
    void setOutputPath(const QString& path);
    void setEpochs(int ganEpochs, int encoderEpochs);
    // "all", or class names joined by commas (digits for MNIST).
    void setNormalClasses(const QString& classes);
    // Trains on this image folder (empty: MNIST) instead, as the data box would choose it.
    void setImageFolder(const QString& folder, bool asIs = false, const QString& testFolder = {});
    void setTrainingLimit(int images) { limit_ = images; }

public slots:
    void start();

signals:
    // A training run has finished and its model can be opened.
    void modelReady(const QString& path);
    void statusMessage(const QString& text);
    // A run could not start or stopped on an error (not a cancel): the message says why.
    void failed(const QString& message);

private slots:
    void onProgress(const oddigit::TrainProgress& progress);
    void onEpoch(const oddigit::EpochSummary& summary);
    void onFinished(bool ok, const QString& modelPath, const QString& message);

private:
    // The training form: data, normal classes, parameters, output path, and the run and compare buttons.
    QGroupBox* createSettingsBox();
    // The data box and the class picker that follows its classes; the epoch, batch size,
    // learning rate, corruption, κ and seed boxes, set to the engine's defaults.
    void createTrainingFields();
    // The model path with its browse button, and the resume check box that goes with it.
    QHBoxLayout* createOutputRow();
    // The grid of generator samples, refreshed after each epoch.
    QGroupBox* createSamplesBox();
    // The loss curves, the progress bar and the status line.
    QVBoxLayout* createProgressColumn();
    // Run buttons to the worker, its reports back (queued: it has its own thread), the path to refreshResume().
    void connectSignals();
    void setRunning(bool running);
    // "Resume from this checkpoint" is offered only while the output path has a run to resume.
    void refreshResume();
    // Before a new run replaces the files of an earlier one at the same path: asks whether
    // to resume it, use a new name or replace it. False when the user cancels.
    bool confirmNewRun(oddigit::RunPlan& plan);
    // A resumed run keeps the settings it was started with (train() refuses others): the form
    // takes them from its resume file, and plan the run's image counts. False, with the reason
    // shown, when the file cannot be read.
    bool takeRunSettings(oddigit::RunPlan& plan);
    // path-2.safetensors, path-3.safetensors, ...: the first with neither model nor resume file.
    static QString freeModelPath(const QString& taken);

    TrainingWorker worker_;
    LossPlot* plot_ = nullptr;
    DataSourceBox* source_ = nullptr;
    ClassPicker* classes_ = nullptr;
    QSpinBox* ganEpochs_ = nullptr;
    QSpinBox* encoderEpochs_ = nullptr;
    QSpinBox* batchSize_ = nullptr;
    QDoubleSpinBox* learningRate_ = nullptr;
    QDoubleSpinBox* encoderCorruption_ = nullptr;
    QDoubleSpinBox* kappa_ = nullptr;
    QSpinBox* seed_ = nullptr;
    QLineEdit* output_ = nullptr;
    QCheckBox* resume_ = nullptr;
    QPushButton* start_ = nullptr;
    QPushButton* pause_ = nullptr;
    QPushButton* cancel_ = nullptr;
    QPushButton* load_ = nullptr;
    QProgressBar* progress_ = nullptr;
    QLabel* status_ = nullptr;
    QLabel* samples_ = nullptr;
    QString finishedModel_;
    int limit_ = 0;
};
