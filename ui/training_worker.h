#pragma once
// Runs a training run (oddigit/training_run.h) on a BackgroundJob (kind Training) and reports
// through signals on the GUI thread. Its plan is plain strings, no QString: a QString shared
// with the GUI thread frees its text in whichever thread drops it last, through Qt's reference
// count, whose ordering ThreadSanitizer cannot see in Debian's uninstrumented Qt.
#include <QImage>
#include <QObject>
#include <QString>
#include <memory>

#include "background_job.h"

#include "oddigit/run_plan.h"

class TrainingWorker : public QObject {
    Q_OBJECT
public:
    explicit TrainingWorker(QObject* parent = nullptr);
    ~TrainingWorker() override;

    // Starts training in the background; false when a run is already going.
    bool start(const oddigit::RunPlan& plan);
    // From start() until finished() has been emitted.
    bool running() const { return running_; }
    void pause() { control_->pause(); }
    void resume() { control_->resume(); }
    void cancel() { control_->cancel(); }
    bool paused() const { return control_->paused(); }
    // Cancels and waits for the training to stop, as when the window closes: the last finished
    // epoch's files stay.
    void stopAndWait();

signals:
    void progressed(const oddigit::TrainProgress& progress);
    void epochDone(const oddigit::EpochSummary& summary);
    // outcome: "finished", "cancelled" or the error message.
    void finished(bool ok, const QString& modelPath, const QString& message);
    // Before finished(), when the run stopped on an error rather than by a cancel.
    void failed(const QString& message);

private:
    void run(const oddigit::RunPlan& plan, oddigit::TrainControl& control, JobContext& context);

    std::shared_ptr<oddigit::TrainControl> control_ = std::make_shared<oddigit::TrainControl>();
    bool running_ = false;
    BackgroundJob job_{"trainer", JobKind::Training};
};

Q_DECLARE_METATYPE(oddigit::TrainProgress)
Q_DECLARE_METATYPE(oddigit::EpochSummary)
