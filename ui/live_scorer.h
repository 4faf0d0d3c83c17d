#pragma once
// Scores the drawing in a worker thread while the user draws. Requests coalesce: only
// the newest drawing waiting is scored, so a fast hand never builds a queue.
#include <QImage>
#include <QObject>
#include <QThread>
#include <QTransform>
#include <QVector>
#include <memory>
#include <mutex>
#include <optional>

#include "oddigit/model.h"
#include "oddigit/preprocess.h"
#include "stroke.h"

struct DrawingScore {
    quint64 request = 0;
    bool blank = true;                  // no ink: nothing to judge
    oddigit::Image28 input{};           // the 28x28 model input
    oddigit::ImageScore score;          // score, heatmap, reconstruction
    bool flagged = false;
    double percentile = 0;              // share of normal validation scores below
    QTransform gridToLogical;           // where the 28x28 grid sits on the canvas
    QVector<float> scoreWithout;        // per stroke: the score of the drawing without it
    double milliseconds = 0;            // preprocessing and scoring
};

class ScoringWorker : public QObject {
    Q_OBJECT
public:
    void setModel(std::shared_ptr<const oddigit::AnomalyModel> model);
    // Stores the drawing as the newest request; returns true when no job was waiting.
    bool offer(const StrokeList& strokes, const QImage& background, quint64 request);

public slots:
    void process();

signals:
    void scored(const DrawingScore& result);

private:
    struct Request {
        StrokeList strokes;
        QImage background;
        quint64 id = 0;
    };
    DrawingScore score(const Request& request, const oddigit::AnomalyModel& model) const;

    std::mutex mutex_;
    std::optional<Request> pending_;
    std::shared_ptr<const oddigit::AnomalyModel> model_;  // shared: set from the GUI thread
    std::unique_ptr<oddigit::AnomalyModel> own_model_;    // this thread's copy
    const oddigit::AnomalyModel* copied_from_ = nullptr;
    bool threadReady_ = false;
};

class LiveScorer : public QObject {
    Q_OBJECT
public:
    explicit LiveScorer(QObject* parent = nullptr);
    ~LiveScorer() override;

    void setModel(std::shared_ptr<const oddigit::AnomalyModel> model);
    void submit(const StrokeList& strokes, const QImage& background);

signals:
    void scored(const DrawingScore& result);

private:
    QThread thread_;
    ScoringWorker* worker_;
    quint64 nextRequest_ = 1;
};

Q_DECLARE_METATYPE(DrawingScore)
