#include "live_scorer.h"

#include <QElapsedTimer>

#include "drawing_canvas.h"
#include "image_conversions.h"
#include "oddigit/runtime.h"
#include "oddigit/score.h"

namespace {

DrawingScore scoreDrawing(const StrokeList& strokes, const QImage& background, quint64 request,
                          const oddigit::AnomalyModel& model) {
    QElapsedTimer timer;
    timer.start();
    DrawingScore result;
    result.request = request;
    oddigit::MnistPlacement placement;
    const QImage drawing = DrawingCanvas::render(strokes, background);
    result.input = oddigit::to_mnist(image_conversions::toGray(drawing), {}, &placement);
    result.blank = placement.scale == 0;
    if (result.blank) {
        result.milliseconds = timer.nsecsElapsed() / 1e6;
        return result;
    }
    // One batch: the drawing, then the drawing without each stroke in turn.
    oddigit::ImageBatch batch;
    batch.append(result.input.data());
    const int strokeCount = background.isNull() ? static_cast<int>(strokes.size()) : 0;
    if (strokeCount > 1) {
        for (int i = 0; i < strokeCount; ++i) {
            const oddigit::Image28 without = oddigit::to_mnist(
                image_conversions::toGray(DrawingCanvas::render(strokes, background, i)));
            batch.append(without.data());
        }
    }
    result.input_kind = background.isNull() ? oddigit::InputKind::Drawn : oddigit::InputKind::Scanned;
    oddigit::ScoreParams params;
    params.input = result.input_kind;
    std::vector<oddigit::ImageScore> scores = model.score(batch, params);
    result.score = std::move(scores.front());
    for (size_t i = 1; i < scores.size(); ++i) result.without.append(std::move(scores[i]));
    result.flagged = oddigit::flagged(result.score);
    result.channel = oddigit::fired_channel(result.score);
    result.percentile = model.validation_percentile(oddigit::scanned_score(model.info(), result.score));
    // Grid pixel (u, v) covers [u, u+1); its centre u + 0.5 maps back to canvas pixel
    // ((u - offset) / scale) + 0.5.
    result.gridToLogical = QTransform::fromTranslate(-0.5 - placement.offset_x, -0.5 - placement.offset_y) *
                           QTransform::fromScale(1.0 / placement.scale, 1.0 / placement.scale) *
                           QTransform::fromTranslate(0.5, 0.5);
    result.milliseconds = timer.nsecsElapsed() / 1e6;
    return result;
}

}  // namespace

LiveScorer::LiveScorer(QObject* parent) : QObject(parent) {
    qRegisterMetaType<DrawingScore>();
    connect(&job_, &BackgroundJob::failed, this, &LiveScorer::failed);
}

void LiveScorer::setModel(std::shared_ptr<const oddigit::AnomalyModel> model) {
    job_.cancel();
    model_ = std::move(model);
}

quint64 LiveScorer::submit(const StrokeList& strokes, const QImage& background) {
    const quint64 request = nextRequest_++;
    if (!model_) return request;
    job_.offer([this, model = model_, strokes, background, request](JobContext& context) {
        const oddigit::AnomalyModel& snapshot = snapshot_.of(model);
        if (context.cancelled()) return;
        DrawingScore result = scoreDrawing(strokes, background, request, snapshot);
        context.deliver([this, result = std::move(result)] { emit scored(result); });
    });
    return request;
}
