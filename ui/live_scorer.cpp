#include "live_scorer.h"

#include <QElapsedTimer>

LiveScorer::LiveScorer(QObject* parent) : QObject(parent) {
    qRegisterMetaType<DrawingScore>();
    connect(&job_, &BackgroundJob::failed, this, &LiveScorer::failed);
}

void LiveScorer::setModel(std::shared_ptr<const oddigit::AnomalyModel> model) {
    job_.cancel();
    model_ = std::move(model);
}

quint64 LiveScorer::submit(const oddigit::Drawing& drawing) {
    const quint64 request = nextRequest_++;
    if (!model_) return request;
    job_.offer([this, model = model_, drawing, request](JobContext& context) {
        if (context.cancelled()) return;
        QElapsedTimer timer;
        timer.start();
        DrawingScore result;
        result.request = request;
        result.judged = oddigit::judge_drawing(*model, drawing);
        // Grid pixel (u, v) covers [u, u+1); its centre u + 0.5 maps back to paper pixel
        // ((u - offset) / scale) + 0.5.
        const oddigit::MnistPlacement& placement = result.judged.placement;
        if (!result.judged.blank)
            result.gridToPaper = QTransform::fromTranslate(-0.5 - placement.offset_x, -0.5 - placement.offset_y) *
                                 QTransform::fromScale(1.0 / placement.scale, 1.0 / placement.scale) *
                                 QTransform::fromTranslate(0.5, 0.5);
        result.milliseconds = timer.nsecsElapsed() / 1e6;
        context.deliver([this, result = std::move(result)] { emit scored(result); });
    });
    return request;
}
