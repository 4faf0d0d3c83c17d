#include "train_view.h"

#include <QCheckBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QScrollBar>
#include <QSpinBox>
#include <QStandardPaths>
#include <QVBoxLayout>

#include "class_picker.h"
#include "data_source_box.h"
#include "image_conversions.h"
#include "loss_plot.h"
#include "mnist_dialog.h"
#include "plot_export.h"
#include "oddigit/image_folder.h"
#include "oddigit/mnist.h"

namespace {
// The sample grid: 8 x 8 generator samples, each shown at this zoom.
constexpr int kSampleColumns = 8;
constexpr int kSampleZoom = 2;

}  // namespace

TrainView::TrainView(QWidget* parent) : QWidget(parent) {
    QGroupBox* settings = createSettingsBox();
    QGroupBox* samplesBox = createSamplesBox();
    auto* left = new QVBoxLayout;
    left->addWidget(settings);
    left->addWidget(samplesBox);
    left->addStretch(1);
    QVBoxLayout* right = createProgressColumn();

    auto* layout = new QHBoxLayout(this);
    auto* leftWidget = new QWidget;
    leftWidget->setLayout(left);
    // The form and the samples scroll on a short screen (a 1366x768 laptop), so the window
    // need not outgrow it.
    auto* leftScroll = new QScrollArea;
    leftScroll->setObjectName("trainFormScroll");
    leftScroll->setWidget(leftWidget);
    leftScroll->setWidgetResizable(true);
    leftScroll->setFrameShape(QFrame::NoFrame);
    leftScroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    leftScroll->setMinimumWidth(leftWidget->sizeHint().width() + leftScroll->verticalScrollBar()->sizeHint().width());
    leftScroll->setMaximumWidth(480);
    layout->addWidget(leftScroll);
    layout->addLayout(right, 1);

    connectSignals();
    setRunning(false);
    load_->setEnabled(false);
    refreshResume();
}

QGroupBox* TrainView::createSettingsBox() {
    createTrainingFields();
    QHBoxLayout* outputRow = createOutputRow();

    auto* form = new QFormLayout;
    form->addRow(source_);
    form->addRow(tr("Normal classes"), classes_);
    form->addRow(tr("GAN epochs"), ganEpochs_);
    form->addRow(tr("Encoder epochs"), encoderEpochs_);
    form->addRow(tr("Batch size"), batchSize_);
    form->addRow(tr("Learning rate"), learningRate_);
    form->addRow(tr("Encoder corruption"), encoderCorruption_);
    form->addRow(tr("κ (feature weight)"), kappa_);
    form->addRow(tr("Seed"), seed_);
    form->addRow(tr("Save to"), outputRow);
    form->addRow(resume_);

    start_ = new QPushButton(tr("Start"));
    start_->setObjectName("startTraining");
    pause_ = new QPushButton(tr("Pause"));
    cancel_ = new QPushButton(tr("Cancel"));
    // Keys as in debuggers: F5 starts, Shift+F5 stops; F6 pauses and resumes.
    const QList<QPair<QPushButton*, QKeySequence>> keys = {
        {start_, QKeySequence(Qt::Key_F5)}, {pause_, QKeySequence(Qt::Key_F6)}, {cancel_, QKeySequence(Qt::SHIFT | Qt::Key_F5)}};
    for (const auto& [button, key] : keys) {
        button->setShortcut(key);
        button->setToolTip(key.toString(QKeySequence::NativeText));
    }
    load_ = new QPushButton(tr("Use the trained model"));
    auto* buttons = new QHBoxLayout;
    for (auto* b : {start_, pause_, cancel_}) buttons->addWidget(b);
    form->addRow(buttons);
    form->addRow(load_);
    auto* compare = new QPushButton(tr("Compare with an earlier run…"));
    compare->setToolTip(tr("Draw the curves of an earlier run (its .metrics.csv) faintly beside this one"));
    connect(compare, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Metrics of an earlier run"), QString(),
                                                          tr("Training metrics (*.metrics.csv);;CSV (*.csv)"));
        if (path.isEmpty()) return;
        const QString error = plot_->loadOverlay(path);
        status_->setText(error.isEmpty() ? tr("Comparing with %1").arg(QFileInfo(path).fileName()) : error);
    });
    form->addRow(compare);
    auto* settings = new QGroupBox(tr("Training"));
    settings->setLayout(form);
    return settings;
}

void TrainView::createTrainingFields() {
    source_ = new DataSourceBox;
    classes_ = new ClassPicker;
    classes_->setObjectName("normalClasses");
    connect(source_, &DataSourceBox::classesChanged, classes_, &ClassPicker::setClasses);
    const oddigit::TrainParams defaults;
    // 0 is shown as "Default": the engine picks the epochs for the training set's size.
    const auto epochsBox = [this](int value) {
        auto* box = new QSpinBox;
        box->setRange(0, 10000);
        box->setSpecialValueText(tr("Default"));
        box->setToolTip(tr("Default: %1 epochs for a training set under %2 images (one or two digits), %3 for a larger one")
                            .arg(oddigit::kSmallSetEpochs)
                            .arg(QLocale().toString(static_cast<qlonglong>(oddigit::kSmallTrainingSet)))
                            .arg(oddigit::kLargeSetEpochs));
        box->setValue(value);
        return box;
    };
    ganEpochs_ = epochsBox(defaults.gan_epochs);
    encoderEpochs_ = epochsBox(defaults.encoder_epochs);
    batchSize_ = new QSpinBox;
    batchSize_->setRange(2, 4096);
    batchSize_->setValue(defaults.batch_size);
    learningRate_ = new QDoubleSpinBox;
    learningRate_->setDecimals(5);
    learningRate_->setRange(1e-5, 1e-1);
    learningRate_->setSingleStep(1e-4);
    learningRate_->setValue(defaults.gan_learning_rate);
    encoderCorruption_ = new QDoubleSpinBox;
    encoderCorruption_->setObjectName("encoderCorruption");
    encoderCorruption_->setRange(0, 1);
    encoderCorruption_->setSingleStep(0.1);
    encoderCorruption_->setValue(defaults.encoder_corruption);
    encoderCorruption_->setToolTip(tr("Share of the encoder's training digits given a fragment of another digit, "
                                      "added or wiped; it learns to give back the clean digit, so an odd stroke "
                                      "stays out of the reconstruction"));
    kappa_ = new QDoubleSpinBox;
    kappa_->setRange(0, 100);
    kappa_->setValue(defaults.terms.kappa);
    seed_ = new QSpinBox;
    seed_->setRange(0, 1 << 30);
    seed_->setValue(static_cast<int>(defaults.seed));
}

QHBoxLayout* TrainView::createOutputRow() {
    output_ = new QLineEdit(QDir(QStandardPaths::writableLocation(QStandardPaths::AppDataLocation))
                                .filePath("models/my-model.safetensors"));
    auto* browse = new QPushButton(tr("…"));
    resume_ = new QCheckBox(tr("Resume from this checkpoint"));
    connect(browse, &QPushButton::clicked, this, [this] {
        // The Start button asks before a run replaces another, whatever path is chosen here.
        const QString path = QFileDialog::getSaveFileName(this, tr("Model file"), output_->text(),
                                                          tr("Models (*.safetensors)"));
        if (!path.isEmpty()) output_->setText(path);
    });
    auto* outputRow = new QHBoxLayout;
    outputRow->addWidget(output_, 1);
    outputRow->addWidget(browse);
    return outputRow;
}

QGroupBox* TrainView::createSamplesBox() {
    samples_ = new QLabel;
    samples_->setAlignment(Qt::AlignCenter);
    samples_->setMinimumSize(kSampleColumns * 28 * kSampleZoom, kSampleColumns * 28 * kSampleZoom);
    samples_->setToolTip(tr("G(z) for the same 64 latent vectors after each epoch"));
    samples_->setAccessibleName(tr("Generator samples"));
    plot_export::addContextMenu(samples_, "samples");
    auto* samplesBox = new QGroupBox(tr("Generator samples"));
    auto* samplesLayout = new QVBoxLayout(samplesBox);
    samplesLayout->addWidget(samples_);
    return samplesBox;
}

QVBoxLayout* TrainView::createProgressColumn() {
    plot_ = new LossPlot;
    progress_ = new QProgressBar;
    progress_->setRange(0, 1000);
    progress_->setValue(0);
    progress_->setFormat(tr("idle"));
    status_ = new QLabel;
    auto* right = new QVBoxLayout;
    right->addWidget(plot_, 1);
    right->addWidget(progress_);
    right->addWidget(status_);
    return right;
}

void TrainView::connectSignals() {
    connect(start_, &QPushButton::clicked, this, &TrainView::start);
    connect(pause_, &QPushButton::clicked, this, [this] {
        if (worker_.paused()) {
            worker_.resume();
            pause_->setText(tr("Pause"));
        } else {
            worker_.pause();
            pause_->setText(tr("Resume"));
            progress_->setFormat(tr("paused at %p%"));
        }
    });
    connect(cancel_, &QPushButton::clicked, this, [this] { worker_.cancel(); });
    connect(load_, &QPushButton::clicked, this, [this] { emit modelReady(finishedModel_); });
    connect(&worker_, &TrainingWorker::progressed, this, &TrainView::onProgress, Qt::QueuedConnection);
    connect(&worker_, &TrainingWorker::epochDone, this, &TrainView::onEpoch, Qt::QueuedConnection);
    connect(&worker_, &TrainingWorker::finished, this, &TrainView::onFinished, Qt::QueuedConnection);
    connect(&worker_, &TrainingWorker::failed, this, &TrainView::failed, Qt::QueuedConnection);
    connect(output_, &QLineEdit::textChanged, this, &TrainView::refreshResume);
}

void TrainView::refreshResume() {
    const bool resumable = QFileInfo::exists(QString::fromStdString(oddigit::resume_path(output_->text().toStdString())));
    resume_->setEnabled(resumable && !worker_.running());
    if (!resumable) resume_->setChecked(false);
}

void TrainView::setOutputPath(const QString& path) { output_->setText(path); }

void TrainView::setEpochs(int ganEpochs, int encoderEpochs) {
    ganEpochs_->setValue(ganEpochs);
    encoderEpochs_->setValue(encoderEpochs);
}

void TrainView::setNormalClasses(const QString& classes) { classes_->setChosen(classes); }

void TrainView::setImageFolder(const QString& folder, bool asIs, const QString& testFolder) {
    source_->setFolder(folder, asIs, testFolder);
}

void TrainView::start() {
    // A second Start while a run goes on does nothing: no question, no cleared plot.
    if (worker_.running()) return;
    // A resumed run's classes come from its resume file.
    if (!resume_->isChecked() && classes_->chosen().isEmpty()) {
        status_->setText(source_->usesFolder() && classes_->classes().isEmpty()
                             ? tr("Choose a folder of images: one subfolder per class, or the images of one class.")
                             : tr("Choose at least one normal class."));
        return;
    }
    oddigit::RunPlan plan;
    plan.params.output_path = output_->text().toStdString();
    plan.params.resume = resume_->isChecked();
    if (!plan.params.resume && !confirmNewRun(plan)) return;
    if (plan.params.resume && !takeRunSettings(plan)) return;
    plan.normal = classes_->chosen().toStdString();
    const std::string folder = source_->folder().toStdString();
    if (!folder.empty()) plan.params.data_source = oddigit::DataSource::image_folder(folder, source_->asIs());
    if (!source_->testFolder().isEmpty())
        plan.params.test_data = oddigit::DataSource::image_folder(source_->testFolder().toStdString(), source_->asIs());
    if (folder.empty()) {
        plan.mnist_dir = MnistDialog::ensure(this).toStdString();
        if (plan.mnist_dir.empty()) {
            status_->setText(tr("Training needs MNIST."));
            return;
        }
    }
    plan.params.gan_epochs = ganEpochs_->value();
    plan.params.encoder_epochs = encoderEpochs_->value();
    plan.params.batch_size = batchSize_->value();
    plan.params.gan_learning_rate = static_cast<float>(learningRate_->value());
    plan.params.encoder_corruption = static_cast<float>(encoderCorruption_->value());
    plan.params.terms.kappa = static_cast<float>(kappa_->value());
    plan.params.seed = static_cast<uint64_t>(seed_->value());
    plan.params.reader.bank_rescans = true;  // the readers' bank as shipped
    if (!plan.params.resume) plan.limit = limit_;
    QDir().mkpath(QFileInfo(QString::fromStdString(plan.params.output_path)).absolutePath());
    worker_.start(plan);
    if (!plan.params.resume) plot_->clear();
    finishedModel_.clear();
    load_->setEnabled(false);
    setRunning(true);
    const QString normal = QString::fromStdString(plan.normal);
    progress_->setFormat(folder.empty() ? tr("loading MNIST…") : tr("reading the images…"));
    status_->setText(folder.empty() ? tr("Training on digits %1").arg(normal)
                                    : tr("Training on %1 of %2").arg(normal, QFileInfo(QString::fromStdString(folder)).fileName()));
}

bool TrainView::confirmNewRun(oddigit::RunPlan& plan) {
    const QString path = QString::fromStdString(plan.params.output_path);
    const QString resumeFile = QString::fromStdString(oddigit::resume_path(plan.params.output_path));
    if (!QFileInfo::exists(path) && !QFileInfo::exists(resumeFile)) return true;
    QMessageBox question(QMessageBox::Question, tr("A run is already there"),
                         tr("%1 already holds a trained model or a run to resume. Starting afresh would "
                            "replace it.").arg(QFileInfo(path).fileName()),
                         QMessageBox::Cancel, this);
    QPushButton* resume = QFileInfo::exists(resumeFile) ? question.addButton(tr("Resume it"), QMessageBox::AcceptRole) : nullptr;
    QPushButton* newName = question.addButton(tr("Use a new name"), QMessageBox::AcceptRole);
    QPushButton* replace = question.addButton(tr("Replace it"), QMessageBox::DestructiveRole);
    question.setDefaultButton(newName);
    question.exec();
    if (question.clickedButton() == resume) {
        plan.params.resume = true;
        return true;
    }
    if (question.clickedButton() == newName) {
        plan.params.output_path = freeModelPath(path).toStdString();
        output_->setText(QString::fromStdString(plan.params.output_path));
        return true;
    }
    return question.clickedButton() == replace;
}

bool TrainView::takeRunSettings(oddigit::RunPlan& plan) {
    oddigit::RunSettings run;
    try {
        run = oddigit::read_run_settings(oddigit::resume_path(plan.params.output_path));
    } catch (const std::exception& error) {
        status_->setText(tr("Cannot resume: %1").arg(QString::fromStdString(error.what())));
        return false;
    }
    const oddigit::TrainParams& params = run.params;
    const QString testFolder = params.test_data ? QString::fromStdString(params.test_data->folder) : QString();
    source_->setFolder(QString::fromStdString(params.data_source.folder), params.data_source.as_is, testFolder);
    classes_->setChosen(QString::fromStdString(params.normal_classes.names()));
    batchSize_->setValue(static_cast<int>(params.batch_size));
    seed_->setValue(static_cast<int>(params.seed));
    // Once the encoder has trained on the GAN, the GAN phase is over at the length it had.
    if (run.encoder_epochs_done > 0) ganEpochs_->setValue(run.gan_epochs_done);
    // The run's first images, as many as it learnt from: all of them unless it was cut short.
    plan.limit = run.train_images;
    plan.held_out = run.validation_images;
    return true;
}

QString TrainView::freeModelPath(const QString& taken) {
    const QFileInfo info(taken);
    for (int n = 2;; ++n) {
        const QString candidate = info.dir().filePath(QString("%1-%2.safetensors").arg(info.completeBaseName()).arg(n));
        if (!QFileInfo::exists(candidate) && !QFileInfo::exists(QString::fromStdString(oddigit::resume_path(candidate.toStdString()))))
            return candidate;
    }
}

void TrainView::setRunning(bool running) {
    start_->setEnabled(!running);
    resume_->setEnabled(!running && resume_->isEnabled());
    pause_->setEnabled(running);
    cancel_->setEnabled(running);
    pause_->setText(tr("Pause"));
}

void TrainView::onProgress(const oddigit::TrainProgress& p) {
    const double step = static_cast<double>(p.global_step);
    // Every phase takes the same steps per epoch, and the phases run in turn.
    const double epoch = static_cast<double>(p.global_step) / p.steps;
    if (p.phase == oddigit::TrainPhase::Gan) {
        plot_->addPoint(LossPlot::Discriminator, step, epoch, p.discriminator_loss);
        plot_->addPoint(LossPlot::Generator, step, epoch, p.generator_loss);
        plot_->addPoint(LossPlot::DigitHead, step, epoch, p.digit_loss);
        plot_->addPoint(LossPlot::RealLogit, step, epoch, p.d_real);
        plot_->addPoint(LossPlot::FakeLogit, step, epoch, p.d_fake);
    } else if (p.phase == oddigit::TrainPhase::Encoder) {
        plot_->addPoint(LossPlot::Encoder, step, epoch, p.encoder_loss);
    } else if (p.phase == oddigit::TrainPhase::Reader) {
        plot_->addPoint(LossPlot::Reader, step, epoch, p.reader_loss);
    }
    progress_->setValue(static_cast<int>(1000.0 * p.global_step / std::max<int64_t>(1, p.total_steps)));
    const QString eta = QString::fromStdString(oddigit::format_duration(p.eta_seconds));
    const QString text =
        p.phase == oddigit::TrainPhase::Density
            ? tr("Fitting the feature density %1/%2 · %3 img/s · ETA %4").arg(p.step).arg(p.steps).arg(p.images_per_second, 0, 'f', 0).arg(eta)
            : tr("%1 epoch %2/%3 · %4 img/s · ETA %5")
                  .arg(oddigit::phase_name(p.phase))
                  .arg(p.epoch)
                  .arg(p.epochs)
                  .arg(p.images_per_second, 0, 'f', 0)
                  .arg(eta);
    if (!worker_.paused()) progress_->setFormat(text + "  (%p%)");
    emit statusMessage(tr("Training: ") + text);
}

void TrainView::onEpoch(const oddigit::EpochSummary& summary) {
    samples_->setPixmap(QPixmap::fromImage(image_conversions::grid(summary.samples, kSampleColumns, kSampleZoom)));
    QString text = tr("%1 epoch %2/%3 done in %4 s").arg(oddigit::phase_name(summary.phase)).arg(summary.epoch).arg(summary.epochs).arg(summary.seconds, 0, 'f', 1);
    if (summary.phase == oddigit::TrainPhase::Encoder) text += tr(" · held-out mean residual %1").arg(summary.validation_mean_stroke, 0, 'g', 4);
    status_->setText(text);
}

void TrainView::onFinished(bool ok, const QString& modelPath, const QString& message) {
    setRunning(false);
    // A finished run is not one to resume again by default.
    resume_->setChecked(false);
    refreshResume();
    progress_->setFormat(ok ? tr("done") : tr("stopped"));
    if (ok) progress_->setValue(progress_->maximum());
    status_->setText(message);
    emit statusMessage(tr("Training %1").arg(message));
    if (ok) {
        finishedModel_ = modelPath;
        load_->setEnabled(true);
    }
}
