#pragma once
// Scores the drawing in the background while the user draws. Requests coalesce: only the
// newest drawing waiting is scored, so a fast hand never builds a queue.
#include <QImage>
#include <QObject>
#include <QTransform>
#include <QVector>
#include <memory>

#include "background_job.h"
#include "model_snapshot.h"
#include "oddigit/model.h"
#include "oddigit/preprocess.h"
#include "oddigit/score.h"
#include "stroke.h"

struct DrawingScore {
    quint64 request = 0;
    bool blank = true;                  // no ink: nothing to judge
    oddigit::Image28 input{};           // the 28x28 model input
    oddigit::ImageScore score;          // channel ratios, terms, heatmap, reconstruction
    bool flagged = false;
    oddigit::Channel channel = oddigit::Channel::None;  // the channel that flagged it
    // A drawing is measured against the canvas calibration; an opened image (the canvas's
    // background) is scanned and keeps the MNIST one.
    oddigit::InputKind input_kind = oddigit::InputKind::Drawn;
    double percentile = 0;              // share of normal held-out images whose score is below its score on their scale
    QTransform gridToLogical;           // where the 28x28 grid sits on the canvas
    QVector<oddigit::ImageScore> without;  // per stroke: the drawing scored without it
    double milliseconds = 0;            // preprocessing and scoring
};

// Scores drawings on its own BackgroundJob (kind LiveScoring) from a snapshot of the model,
// so nothing scores the shared model and a model switch drops every answer for the old one.
class LiveScorer : public QObject {
    Q_OBJECT
public:
    explicit LiveScorer(QObject* parent = nullptr);

    // Scores with this model from now on; answers still on their way for the previous
    // model are dropped.
    void setModel(std::shared_ptr<const oddigit::AnomalyModel> model);
    // Queues the drawing and returns its request id (increasing). The drawing being scored
    // still answers; a queued one not yet started is replaced.
    quint64 submit(const StrokeList& strokes, const QImage& background);

signals:
    void scored(const DrawingScore& result);
    void failed(const QString& message);

private:
    std::shared_ptr<const oddigit::AnomalyModel> model_;
    quint64 nextRequest_ = 1;
    ModelSnapshot snapshot_;  // declared before job_, whose destructor stops its thread
    BackgroundJob job_{"live-scorer", JobKind::LiveScoring};
};

Q_DECLARE_METATYPE(DrawingScore)
