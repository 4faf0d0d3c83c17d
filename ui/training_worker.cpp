#include "training_worker.h"

#include <QFile>
#include <QFileInfo>
#include <QTextStream>

#include "oddigit/canvas_calibration.h"
#include "oddigit/image_folder.h"
#include "oddigit/mnist.h"
#include "oddigit/rescan.h"

TrainingWorker::TrainingWorker(QObject* parent) : QObject(parent) {
    qRegisterMetaType<oddigit::TrainProgress>();
    qRegisterMetaType<oddigit::EpochSummary>();
}

TrainingWorker::~TrainingWorker() { stopAndWait(); }

bool TrainingWorker::start(const TrainJob& job) {
    if (running_) return false;
    running_ = true;
    quitting_ = false;
    control_ = std::make_shared<oddigit::TrainControl>();
    job_.start([this, job, control = control_](JobContext& context) {
        ThreadBudget::setTrainingRunning(true);
        run(job, *control, context);
        ThreadBudget::setTrainingRunning(false);
    });
    return true;
}

void TrainingWorker::stopAndWait() {
    quitting_ = true;
    control_->cancel();
    job_.waitUntilIdle();
}

oddigit::LabelledImages TrainingWorker::trainingImages(const TrainJob& job, oddigit::TrainParams& params) {
    if (job.imagesDir.empty()) {
        params.normal_classes = oddigit::ClassSet::parse(job.normal);
        return oddigit::load_mnist(job.dataDir).train;
    }
    oddigit::ImageFolderParams folderParams;
    folderParams.as_is = job.asIs;
    oddigit::ImageFolder folder = oddigit::load_image_folder(job.imagesDir, folderParams);
    params.class_names = folder.class_names;
    params.normal_classes = oddigit::ClassSet::parse_names(job.normal, folder.class_names);
    params.data_source = oddigit::DataSource::image_folder(job.imagesDir, job.asIs);
    if (!job.testImagesDir.empty()) params.test_data = oddigit::DataSource::image_folder(job.testImagesDir, job.asIs);
    return std::move(folder.images);
}

void TrainingWorker::run(const TrainJob& job, oddigit::TrainControl& control, JobContext& context) {
    const QString modelPath = QString::fromStdString(job.params.output_path);
    const auto report = [this, &context, &modelPath](bool ok, const QString& message) {
        context.deliver([this, ok, modelPath, message] {
            running_ = false;
            emit finished(ok, modelPath, message);
        });
    };
    // Every measurement also goes to a CSV beside the checkpoint.
    QFile metrics(QString::fromStdString(job.params.output_path) + ".metrics.csv");
    const bool appendMetrics = job.params.resume && metrics.exists();
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
        oddigit::TrainParams params = job.params;
        params.reader.bank_variations = oddigit::bank_rescans;
        const oddigit::LabelledImages data = trainingImages(job, params);
        const double fraction = job.heldOut > 0 ? oddigit::fraction_holding_out(job.heldOut, data, params.normal_classes)
                                                : job.validationFraction;
        oddigit::NormalSplit split = oddigit::split_normal(data, params.normal_classes, fraction, params.seed);
        if (job.trainLimit > 0) split.train.keep_first(job.trainLimit);
        oddigit::TrainResult result = oddigit::train(split.train, split.validation, params, callbacks, &control);
        const bool finished = result.outcome == oddigit::TrainOutcome::Finished;
        const std::string& path = job.params.output_path;
        // The model kept ends training as every trainer's does (finish_model()): the finished
        // one, or after a cancel the model of the last finished encoder epoch, where there is
        // one. A window closing skips it: the model then measures drawings as scans until
        // `oddigit-cli calibrate` or another training finishes it.
        if (finished) {
            oddigit::finish_model(result.model, split.validation, path);
        } else if (!quitting_ && QFileInfo::exists(modelPath)) {
            oddigit::AnomalyModel kept = oddigit::AnomalyModel::load(path);
            oddigit::finish_model(kept, split.validation, path);
        }
        report(finished, finished ? tr("finished in %1 s").arg(result.seconds, 0, 'f', 0)
                                  : tr("cancelled; the last finished epoch is saved"));
    } catch (const std::exception& error) {
        const QString message = QString::fromStdString(error.what());
        context.deliver([this, message] { emit failed(message); });
        report(false, message);
    }
}
