#pragma once
// A horizontal gauge: the score as a bar, the threshold as a line, the verdict as colour.
#include <QWidget>

class ScoreGauge : public QWidget {
    Q_OBJECT
public:
    explicit ScoreGauge(QWidget* parent = nullptr);

    void setThreshold(double threshold);
    // A negative score shows an empty gauge.
    void setScore(double score);
    double score() const { return score_; }

    QSize sizeHint() const override { return {320, 44}; }

protected:
    void paintEvent(QPaintEvent* event) override;

private:
    double threshold_ = 1.0;
    double score_ = -1.0;
};
