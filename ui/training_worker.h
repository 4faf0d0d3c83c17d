#pragma once
// Runs oddigit::train on a BackgroundJob (kind Training) and reports through signals on the
// GUI thread.
#include <QImage>
#include <QObject>
#include <QString>
#include <atomic>
#include <memory>

#include "background_job.h"

#include "oddigit/train.h"

// What the training thread is given. Plain strings, no QString: a QString shared with the GUI
// thread frees its text in whichever thread drops it last, through Qt's reference count,
// whose ordering ThreadSanitizer cannot see in Debian's uninstrumented Qt.
struct TrainJob {
    std::string dataDir;         // MNIST's folder, when no image folder is given
    std::string imagesDir;       // an image folder to learn from instead (oddigit/image_folder.h)
    std::string testImagesDir;   // its test folder, recorded in the model for Explore
    bool asIs = false;           // the folder's images are 28x28 in MNIST framing already
    std::string normal = "all";  // the normal classes: digits, or the folder's class names
    double validationFraction = 0.1;
    // A resumed run's held-out images (RunSettings::validation_images): the fraction is then
    // the one that holds out as many, whatever the run was started with. 0: validationFraction.
    int64_t heldOut = 0;
    int trainLimit = 0;  // use at most this many training images (0: all), for quick runs
    oddigit::TrainParams params;
};

class TrainingWorker : public QObject {
    Q_OBJECT
public:
    explicit TrainingWorker(QObject* parent = nullptr);
    ~TrainingWorker() override;

    // Starts training in the background; false when a run is already going.
    bool start(const TrainJob& job);
    // From start() until finished() has been emitted.
    bool running() const { return running_; }
    void pause() { control_->pause(); }
    void resume() { control_->resume(); }
    void cancel() { control_->cancel(); }
    bool paused() const { return control_->paused(); }
    // Cancels and waits for the training to stop, as when the window closes: the last finished
    // epoch's files stay, and a cancelled model is left without its canvas calibration.
    void stopAndWait();

signals:
    void progressed(const oddigit::TrainProgress& progress);
    void epochDone(const oddigit::EpochSummary& summary);
    // outcome: "finished", "cancelled" or the error message.
    void finished(bool ok, const QString& modelPath, const QString& message);
    // Before finished(), when the run stopped on an error rather than by a cancel.
    void failed(const QString& message);

private:
    void run(const TrainJob& job, oddigit::TrainControl& control, JobContext& context);
    // The job's images, MNIST's or its folder's, with params given the classes and the source.
    static oddigit::LabelledImages trainingImages(const TrainJob& job, oddigit::TrainParams& params);

    std::shared_ptr<oddigit::TrainControl> control_ = std::make_shared<oddigit::TrainControl>();
    bool running_ = false;
    std::atomic<bool> quitting_{false};
    BackgroundJob job_{"trainer", JobKind::Training};
};

Q_DECLARE_METATYPE(oddigit::TrainProgress)
Q_DECLARE_METATYPE(oddigit::EpochSummary)
