#pragma once
// Judges the drawing in the background while the user draws (judge_drawing() of
// oddigit/drawing.h). Requests coalesce: only the newest drawing waiting is judged, so a fast
// hand never builds a queue.
#include <QObject>
#include <QTransform>
#include <memory>

#include "background_job.h"
#include "oddigit/drawing.h"
#include "oddigit/model.h"

struct DrawingScore {
    quint64 request = 0;
    oddigit::DrawingJudgement judged;  // blank until a drawing with ink was judged
    QTransform gridToPaper;            // where the 28x28 grid sits on the paper
    double milliseconds = 0;           // rendering, preprocessing and scoring
};

// Judges drawings on its own BackgroundJob (kind LiveScoring) with the app's model (scoring is
// safe from several threads at once); a model switch drops every answer for the old one.
class LiveScorer : public QObject {
    Q_OBJECT
public:
    explicit LiveScorer(QObject* parent = nullptr);

    // Judges with this model from now on; answers still on their way for the previous
    // model are dropped.
    void setModel(std::shared_ptr<const oddigit::AnomalyModel> model);
    // Queues the drawing and returns its request id (increasing). The drawing being judged
    // still answers; a queued one not yet started is replaced.
    quint64 submit(const oddigit::Drawing& drawing);

signals:
    void scored(const DrawingScore& result);
    void failed(const QString& message);

private:
    std::shared_ptr<const oddigit::AnomalyModel> model_;
    quint64 nextRequest_ = 1;
    BackgroundJob job_{"live-scorer", JobKind::LiveScoring};
};

Q_DECLARE_METATYPE(DrawingScore)
