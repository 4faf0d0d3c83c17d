#pragma once
// Live training curves: each series drawn faint as measured and bold as an exponential
// moving average. Replots are queued and capped at about 30 per second.
#include <QTimer>
#include <QVector>
#include <QWidget>

class QCheckBox;
class QCustomPlot;
class QCPGraph;
class QComboBox;
class QLabel;
class QSlider;

class LossPlot : public QWidget {
    Q_OBJECT
public:
    enum Series { Discriminator, Generator, Encoder, DigitHead, Reader, RealLogit, FakeLogit, SeriesCount };

    explicit LossPlot(QWidget* parent = nullptr);

    // Adds one measurement; step increases from call to call.
    void addPoint(Series series, double step, double epoch, double value);
    void clear();
    int pointCount(Series series) const { return static_cast<int>(raw_[series].size()); }
    // Draws an earlier run's curves (its MODEL.safetensors.metrics.csv, as training writes
    // it) faintly in one colour of their own, smoothed like the live ones, for comparison;
    // replaces any earlier overlay. Returns an empty string or why the file cannot be read.
    QString loadOverlay(const QString& csvPath);
    int overlayPointCount(Series series) const { return static_cast<int>(overlay_[series].size()); }
    // The epoch position of the newest point of a series (0 when it has none).
    double lastEpoch(Series series) const { return raw_[series].isEmpty() ? 0 : raw_[series].back().epoch; }
    QCustomPlot* plot() const { return plot_; }

private slots:
    void rebuild();
    void resetView();
    void showReadout(QMouseEvent* event);

private:
    // One raw, one smoothed and one overlay graph per series; the logit series start hidden.
    void createPlot();
    // The smoothing, log y, logits, x axis and follow controls above the plot, the readout below it.
    void createControls();
    // Replots at most every kReplotIntervalMs, and only when a point or a setting has changed.
    void startReplotTimer();
    // Rebuilds or rescales the curves as the controls change; zooming by hand stops following.
    void connectControls();

    struct Point {
        double step, epoch, value;
    };
    // A series as the plot draws it: x, the values as measured, and their moving average.
    struct Curve {
        QVector<double> x, raw, smooth;
    };
    double xOf(const Point& point) const;
    // The newest moving average, after value joins one that stood at previous.
    double smoothedWith(double previous, double value) const;
    Curve curveOf(const QVector<Point>& points) const;
    void scheduleReplot();

    QCustomPlot* plot_ = nullptr;
    QCPGraph* rawGraphs_[SeriesCount] = {};
    QCPGraph* smoothGraphs_[SeriesCount] = {};
    QVector<Point> raw_[SeriesCount];
    QVector<Point> overlay_[SeriesCount];
    QCPGraph* overlayGraphs_[SeriesCount] = {};
    double smoothed_[SeriesCount] = {};
    QSlider* smoothing_ = nullptr;
    QCheckBox* logY_ = nullptr;
    QCheckBox* follow_ = nullptr;
    QCheckBox* logits_ = nullptr;
    QComboBox* xAxis_ = nullptr;
    QLabel* readout_ = nullptr;
    QTimer replotTimer_;
    bool dirty_ = false;
};
