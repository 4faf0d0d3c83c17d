#include "live_scorer.h"

#include <QElapsedTimer>

#include "drawing_canvas.h"
#include "image_conversions.h"
#include "oddigit/runtime.h"

void ScoringWorker::setModel(std::shared_ptr<const oddigit::AnomalyModel> model) {
    std::lock_guard<std::mutex> lock(mutex_);
    model_ = std::move(model);
}

bool ScoringWorker::offer(const StrokeList& strokes, const QImage& background, quint64 request) {
    std::lock_guard<std::mutex> lock(mutex_);
    const bool was_idle = !pending_.has_value();
    pending_ = Request{strokes, background, request};
    return was_idle;
}

void ScoringWorker::process() {
    if (!threadReady_) {
        oddigit::init_worker_thread();
        threadReady_ = true;
    }
    Request request;
    std::shared_ptr<const oddigit::AnomalyModel> model;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!pending_) return;
        request = std::move(*pending_);
        pending_.reset();
        model = model_;
    }
    if (!model) return;
    if (copied_from_ != model.get()) {
        own_model_ = std::make_unique<oddigit::AnomalyModel>(model->clone());
        copied_from_ = model.get();
    }
    emit scored(score(request, *own_model_));
}

DrawingScore ScoringWorker::score(const Request& request, const oddigit::AnomalyModel& model) const {
    QElapsedTimer timer;
    timer.start();
    DrawingScore result;
    result.request = request.id;
    oddigit::MnistPlacement placement;
    const QImage drawing = DrawingCanvas::render(request.strokes, request.background);
    result.input = oddigit::to_mnist(image_conversions::toGray(drawing), {}, &placement);
    result.blank = placement.scale == 0;
    if (result.blank) {
        result.milliseconds = timer.nsecsElapsed() / 1e6;
        return result;
    }
    // One batch: the drawing, then the drawing without each stroke in turn.
    oddigit::ImageBatch batch;
    batch.append(result.input.data());
    const int strokes = request.background.isNull() ? static_cast<int>(request.strokes.size()) : 0;
    if (strokes > 1) {
        for (int i = 0; i < strokes; ++i) {
            const oddigit::Image28 without = oddigit::to_mnist(
                image_conversions::toGray(DrawingCanvas::render(request.strokes, request.background, i)));
            batch.append(without.data());
        }
    }
    std::vector<oddigit::ImageScore> scores = model.score(batch);
    result.score = std::move(scores.front());
    for (size_t i = 1; i < scores.size(); ++i) result.scoreWithout.append(scores[i].score);
    result.flagged = result.score.score >= model.info().threshold;
    result.percentile = model.validation_percentile(result.score.score);
    // Grid pixel (u, v) covers [u, u+1); its centre u + 0.5 maps back to canvas pixel
    // ((u - offset) / scale) + 0.5.
    result.gridToLogical = QTransform::fromTranslate(-0.5 - placement.offset_x, -0.5 - placement.offset_y) *
                           QTransform::fromScale(1.0 / placement.scale, 1.0 / placement.scale) *
                           QTransform::fromTranslate(0.5, 0.5);
    result.milliseconds = timer.nsecsElapsed() / 1e6;
    return result;
}

LiveScorer::LiveScorer(QObject* parent) : QObject(parent), worker_(new ScoringWorker) {
    qRegisterMetaType<DrawingScore>();
    worker_->moveToThread(&thread_);
    connect(&thread_, &QThread::finished, worker_, &QObject::deleteLater);
    connect(worker_, &ScoringWorker::scored, this, &LiveScorer::scored, Qt::QueuedConnection);
    thread_.setObjectName("live-scorer");
    thread_.start();
}

LiveScorer::~LiveScorer() {
    thread_.quit();
    thread_.wait();
}

void LiveScorer::setModel(std::shared_ptr<const oddigit::AnomalyModel> model) { worker_->setModel(std::move(model)); }

void LiveScorer::submit(const StrokeList& strokes, const QImage& background) {
    if (worker_->offer(strokes, background, nextRequest_++))
        QMetaObject::invokeMethod(worker_, &ScoringWorker::process, Qt::QueuedConnection);
}
