#include "training_worker.h"

#include <QFile>
#include <QTextStream>

#include "oddigit/mnist.h"

TrainingWorker::TrainingWorker(QObject* parent)
    : QObject(parent), control_(std::make_unique<oddigit::TrainControl>()) {
    qRegisterMetaType<oddigit::TrainProgress>();
    qRegisterMetaType<oddigit::EpochSummary>();
}

TrainingWorker::~TrainingWorker() { stopAndWait(); }

bool TrainingWorker::start(const TrainJob& job) {
    if (running_) return false;
    if (thread_) {
        thread_->wait();
        delete thread_;
    }
    control_ = std::make_unique<oddigit::TrainControl>();
    running_ = true;
    thread_ = QThread::create([this, job] { run(job); });
    thread_->setObjectName("trainer");
    thread_->start(QThread::LowPriority);
    return true;
}

void TrainingWorker::stopAndWait() {
    if (!thread_) return;
    control_->cancel();
    thread_->wait();
    delete thread_;
    thread_ = nullptr;
}

void TrainingWorker::run(TrainJob job) {
    const QString modelPath = QString::fromStdString(job.params.output_path);
    // Every measurement also goes to a CSV beside the checkpoint.
    QFile metrics(QString::fromStdString(job.params.output_path) + ".metrics.csv");
    const bool appendMetrics = job.params.resume && metrics.exists();
    metrics.open(QIODevice::WriteOnly | QIODevice::Text | (appendMetrics ? QIODevice::Append : QIODevice::Truncate));
    QTextStream csv(&metrics);
    if (!appendMetrics) csv << "phase,epoch,step,global_step,d_loss,g_loss,d_real,d_fake,e_loss,images_per_second\n";
    oddigit::TrainCallbacks callbacks;
    callbacks.on_progress = [this, &csv](const oddigit::TrainProgress& p) {
        csv << oddigit::phase_name(p.phase) << ',' << p.epoch << ',' << p.step << ',' << p.global_step << ','
            << p.discriminator_loss << ',' << p.generator_loss << ',' << p.d_real << ',' << p.d_fake << ','
            << p.encoder_loss << ',' << p.images_per_second << '\n';
        emit progressed(p);
    };
    callbacks.on_epoch = [this, &csv](const oddigit::EpochSummary& summary) {
        csv.flush();
        emit epochDone(summary);
    };
    try {
        const oddigit::MnistSet mnist = oddigit::load_mnist(job.dataDir.toStdString());
        oddigit::NormalSplit split = oddigit::split_normal(mnist.train, job.params.normal_classes,
                                                           job.validationFraction, job.params.seed);
        if (job.trainLimit > 0 && split.train.size() > job.trainLimit)
            split.train.pixels.resize(static_cast<size_t>(job.trainLimit) * oddigit::kImagePixels);
        const oddigit::TrainResult result = oddigit::train(split.train, split.validation, job.params, callbacks,
                                                           control_.get());
        running_ = false;
        const bool finished = result.outcome == oddigit::TrainOutcome::Finished;
        emit this->finished(finished, modelPath, finished ? tr("finished in %1 s").arg(result.seconds, 0, 'f', 0)
                                                           : tr("cancelled; the last finished epoch is saved"));
    } catch (const std::exception& error) {
        running_ = false;
        emit this->finished(false, modelPath, QString::fromStdString(error.what()));
    }
}
