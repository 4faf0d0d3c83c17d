#include "training_worker.h"

#include <QFile>
#include <QTextStream>

#include "oddigit/training_run.h"

TrainingWorker::TrainingWorker(QObject* parent) : QObject(parent) {
    qRegisterMetaType<oddigit::TrainProgress>();
    qRegisterMetaType<oddigit::EpochSummary>();
}

TrainingWorker::~TrainingWorker() { stopAndWait(); }

bool TrainingWorker::start(const oddigit::RunPlan& plan) {
    if (running_) return false;
    running_ = true;
    control_ = std::make_shared<oddigit::TrainControl>();
    job_.start([this, plan, control = control_](JobContext& context) {
        ThreadBudget::setTrainingRunning(true);
        run(plan, *control, context);
        ThreadBudget::setTrainingRunning(false);
    });
    return true;
}

void TrainingWorker::stopAndWait() {
    control_->cancel();
    job_.waitUntilIdle();
}

void TrainingWorker::run(const oddigit::RunPlan& plan, oddigit::TrainControl& control, JobContext& context) {
    const QString modelPath = QString::fromStdString(plan.params.output_path);
    const auto report = [this, &context, &modelPath](bool ok, const QString& message) {
        context.deliver([this, ok, modelPath, message] {
            running_ = false;
            emit finished(ok, modelPath, message);
        });
    };
    // Every measurement also goes to a CSV beside the checkpoint.
    QFile metrics(modelPath + ".metrics.csv");
    const bool appendMetrics = plan.params.resume && metrics.exists();
    metrics.open(QIODevice::WriteOnly | QIODevice::Text | (appendMetrics ? QIODevice::Append : QIODevice::Truncate));
    QTextStream csv(&metrics);
    if (!appendMetrics)
        csv << "phase,epoch,step,global_step,d_loss,g_loss,d_real,d_fake,e_loss,images_per_second,digit_loss,r_loss\n";
    oddigit::TrainCallbacks callbacks;
    callbacks.on_progress = [this, &csv, &context](const oddigit::TrainProgress& p) {
        // The density's fit has no loss to log; the view shows its progress.
        if (p.phase != oddigit::TrainPhase::Density)
            csv << oddigit::phase_name(p.phase) << ',' << p.epoch << ',' << p.step << ',' << p.global_step << ','
                << p.discriminator_loss << ',' << p.generator_loss << ',' << p.d_real << ',' << p.d_fake << ','
                << p.encoder_loss << ',' << p.images_per_second << ',' << p.digit_loss << ',' << p.reader_loss << '\n';
        context.deliver([this, p] { emit progressed(p); });
    };
    callbacks.on_epoch = [this, &csv, &context](const oddigit::EpochSummary& summary) {
        csv.flush();
        context.deliver([this, summary] { emit epochDone(summary); });
    };
    try {
        // The run's saved model is calibrated for drawings after every epoch: a cancel keeps
        // the last finished epoch's, whole.
        const oddigit::TrainResult result = oddigit::run_training(plan, callbacks, &control);
        const bool finished = result.outcome == oddigit::TrainOutcome::Finished;
        report(finished, finished ? tr("finished in %1 s").arg(result.seconds, 0, 'f', 0)
                                  : tr("cancelled; the last finished epoch is saved"));
    } catch (const std::exception& error) {
        const QString message = QString::fromStdString(error.what());
        context.deliver([this, message] { emit failed(message); });
        report(false, message);
    }
}
