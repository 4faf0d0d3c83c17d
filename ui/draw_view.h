#pragma once
// The first view: draw a digit and watch the model judge it, stroke by stroke.
#include <QWidget>
#include <memory>

#include "live_scorer.h"
#include "oddigit/drawing.h"
#include "oddigit/model.h"

class DrawingCanvas;
class QComboBox;
class QGroupBox;
class QLabel;
class QSlider;
class QSpinBox;
class ScoreGauge;

class DrawView : public QWidget {
    Q_OBJECT
public:
    explicit DrawView(QWidget* parent = nullptr);

    void setModel(std::shared_ptr<const oddigit::AnomalyModel> model);
    DrawingCanvas* canvas() const { return canvas_; }
    // Shows an image (e.g. a dropped file) on the canvas and scores it as a scan.
    void showImage(const oddigit::GrayImage& image);
    // Shows a drawing's strokes (File > Open of a drawing file) on a clean canvas.
    void showDrawing(const oddigit::Drawing& drawing);
    // The canvas with its overlay, for File > Save overlay.
    QImage overlayImage() const;
    // The newest result shown, for tests and the status bar.
    const DrawingScore& lastScore() const { return last_; }
    // The request id of the newest drawing sent to the scorer: lastScore() answers it once
    // lastScore().request equals it.
    quint64 latestRequest() const { return latestRequest_; }
    // The verdict shown, e.g. "Looks like a 7" (oddigit::verdict_text()); red when flagged.
    QString verdictText() const;

signals:
    void scoredDrawing(const DrawingScore& result);
    // Scoring failed in the background; the view keeps its last answer.
    void failed(const QString& message);

private slots:
    void onScored(const DrawingScore& result);
    void onStrokeHovered(int index, double share);
    void refreshHeat();

private:
    // "Draw a ring or stick" for a model of an image folder's classes: its normal ones.
    QString drawPrompt() const;
    // The canvas, the gauge, the verdict and its notes, and the three 28x28 previews.
    void createScoreWidgets();
    // The colormap, opacity and pen width settings with the undo, redo and clear buttons.
    QGroupBox* createCanvasControls();
    // The canvas on the left; the verdict, the previews and canvasControls in a column beside it.
    void layOutWidgets(QGroupBox* canvasControls);
    // The last session's colormap, opacity and pen width; before connectSignals(), so nothing is written back.
    void restorePreferences();
    // Rescores the drawing as it changes, and applies and saves the canvas settings as the user changes them.
    void connectSignals();
    void clearVerdict();
    void rescore();
    // What the stroke to blame does to the leading channel, e.g. "Stroke 3 looks odd: without
    // it the shape ratio falls from 19.04× to 0.19×, under its threshold."; empty for none.
    QString blameNote(const oddigit::DrawingJudgement& judged) const;
    // The two channels' ratios and terms, and the percentile among the calibration's images.
    QString detailsText(const DrawingScore& result) const;

    std::shared_ptr<const oddigit::AnomalyModel> model_;
    LiveScorer scorer_;
    DrawingScore last_;
    quint64 latestRequest_ = 0;
    DrawingCanvas* canvas_ = nullptr;
    ScoreGauge* gauge_ = nullptr;
    QLabel* verdict_ = nullptr;
    QLabel* details_ = nullptr;
    QLabel* strokeNote_ = nullptr;
    QLabel* input_ = nullptr;
    QLabel* reconstruction_ = nullptr;
    QLabel* heat_ = nullptr;
    QComboBox* colormap_ = nullptr;
    QSlider* opacity_ = nullptr;
    QSpinBox* penWidth_ = nullptr;
};
