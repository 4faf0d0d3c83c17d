#pragma once
// Two horizontal gauges, one per channel of the score: the stroke ratio and the shape ratio
// (oddigit/score.h), each as a bar against the line at 1 where its channel flags; a bar that
// reaches the line is drawn in the anomalous colour.
#include <QWidget>

class ScoreGauge : public QWidget {
    Q_OBJECT
public:
    explicit ScoreGauge(QWidget* parent = nullptr);

    // Negative ratios show empty gauges. Without a shape channel its gauge reads "none".
    void setRatios(double stroke, double shape, bool hasShapeChannel = true);
    double strokeRatio() const { return stroke_; }
    double shapeRatio() const { return shape_; }

    QSize sizeHint() const override { return {320, 64}; }

protected:
    void paintEvent(QPaintEvent* event) override;

private:
    double stroke_ = -1.0;
    double shape_ = -1.0;
    bool hasShapeChannel_ = true;
};
