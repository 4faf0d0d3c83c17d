#include "draw_view.h"

#include <cmath>

#include <QComboBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSettings>
#include <QSlider>
#include <QSpinBox>
#include <QVBoxLayout>
#include <qcustomplot.h>

#include "drawing_canvas.h"
#include "image_conversions.h"
#include "oddigit/score.h"
#include "score_gauge.h"

namespace {
// Side of the 28x28 previews on screen.
constexpr int kPreviewSide = 112;
// A stroke whose removal lowers the score by less than this share is not called odd.
constexpr double kMinimumOddShare = 0.05;
// Below this probability of being one of the normal digits, no digit fits the drawing.
constexpr double kFitsADigit = 0.5;
// The canvas preferences before the user sets them (also the settings' defaults).
constexpr int kDefaultOpacityPercent = 65;
constexpr int kDefaultPenWidth = 18;

QLabel* previewLabel(const QString& tip) {
    auto* label = new QLabel;
    label->setFixedSize(kPreviewSide, kPreviewSide);
    label->setFrameShape(QFrame::StyledPanel);
    label->setAlignment(Qt::AlignCenter);
    label->setToolTip(tip);
    return label;
}

QPixmap enlarged(const QImage& image) {
    return QPixmap::fromImage(image.scaled(kPreviewSide, kPreviewSide, Qt::IgnoreAspectRatio, Qt::FastTransformation));
}

QWidget* captioned(QWidget* widget, const QString& caption) {
    auto* box = new QWidget;
    auto* layout = new QVBoxLayout(box);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(widget, 0, Qt::AlignHCenter);
    auto* label = new QLabel(caption);
    label->setAlignment(Qt::AlignHCenter);
    layout->addWidget(label);
    return box;
}

}  // namespace

DrawView::DrawView(QWidget* parent) : QWidget(parent) {
    canvas_ = new DrawingCanvas;
    canvas_->setAccessibleName(tr("Drawing canvas"));
    canvas_->setAccessibleDescription(tr("Draw a digit with the mouse or a pen; it is scored as you draw."));
    gauge_ = new ScoreGauge;
    gauge_->setAccessibleName(tr("Anomaly score"));
    verdict_ = new QLabel(tr("Draw a digit"));
    QFont big = verdict_->font();
    big.setPointSizeF(big.pointSizeF() * 1.6);
    big.setBold(true);
    verdict_->setFont(big);
    details_ = new QLabel;
    details_->setWordWrap(true);
    strokeNote_ = new QLabel;
    strokeNote_->setWordWrap(true);
    input_ = previewLabel(tr("What the model sees: the drawing after MNIST-style preprocessing"));
    reconstruction_ = previewLabel(tr("G(E(x)): the closest digit the generator can make"));
    heat_ = previewLabel(tr("Per-pixel residual (x - G(E(x)))²"));

    colormap_ = new QComboBox;
    colormap_->addItems(image_conversions::colormapNames());
    opacity_ = new QSlider(Qt::Horizontal);
    opacity_->setRange(0, 100);
    opacity_->setValue(kDefaultOpacityPercent);
    penWidth_ = new QSpinBox;
    penWidth_->setRange(4, 60);
    penWidth_->setValue(kDefaultPenWidth);
    penWidth_->setSuffix(tr(" px"));
    auto* clear = new QPushButton(tr("Clear"));
    auto* undo = new QPushButton(tr("Undo"));
    auto* redo = new QPushButton(tr("Redo"));
    connect(canvas_->undoStack(), &QUndoStack::canUndoChanged, undo, &QWidget::setEnabled);
    connect(canvas_->undoStack(), &QUndoStack::canRedoChanged, redo, &QWidget::setEnabled);
    undo->setEnabled(false);
    redo->setEnabled(false);

    auto* previews = new QHBoxLayout;
    previews->addWidget(captioned(input_, tr("Model input")));
    previews->addWidget(captioned(reconstruction_, tr("Reconstruction")));
    previews->addWidget(captioned(heat_, tr("Heatmap")));

    auto* overlay = new QFormLayout;
    overlay->addRow(tr("Colormap"), colormap_);
    overlay->addRow(tr("Overlay opacity"), opacity_);
    overlay->addRow(tr("Pen width"), penWidth_);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(undo);
    buttons->addWidget(redo);
    buttons->addWidget(clear);
    overlay->addRow(buttons);
    auto* overlayBox = new QGroupBox(tr("Canvas"));
    overlayBox->setLayout(overlay);

    auto* side = new QVBoxLayout;
    side->addWidget(verdict_);
    side->addWidget(gauge_);
    side->addWidget(details_);
    side->addLayout(previews);
    side->addWidget(strokeNote_);
    side->addStretch(1);
    side->addWidget(overlayBox);
    auto* sideWidget = new QWidget;
    sideWidget->setLayout(side);
    sideWidget->setMaximumWidth(420);

    auto* layout = new QHBoxLayout(this);
    layout->addWidget(canvas_, 1);
    layout->addWidget(sideWidget);

    // Preferences persist between sessions.
    const QSettings settings;
    colormap_->setCurrentText(image_conversions::chosenColormapName());
    opacity_->setValue(settings.value("draw/opacity", kDefaultOpacityPercent).toInt());
    penWidth_->setValue(settings.value("draw/penWidth", kDefaultPenWidth).toInt());
    canvas_->setHeatOpacity(opacity_->value() / 100.0);
    canvas_->setPenWidth(penWidth_->value());

    connect(canvas_, &DrawingCanvas::drawingChanged, this, &DrawView::rescore);
    connect(canvas_, &DrawingCanvas::strokeHovered, this, &DrawView::onStrokeHovered);
    connect(&scorer_, &LiveScorer::scored, this, &DrawView::onScored);
    connect(&scorer_, &LiveScorer::failed, this, &DrawView::failed);
    connect(colormap_, &QComboBox::currentIndexChanged, this, [this] {
        image_conversions::chooseColormap(colormap_->currentText());
        refreshHeat();
    });
    connect(opacity_, &QSlider::valueChanged, this, [this](int value) {
        QSettings().setValue("draw/opacity", value);
        canvas_->setHeatOpacity(value / 100.0);
    });
    connect(penWidth_, &QSpinBox::valueChanged, this, [this](int value) {
        QSettings().setValue("draw/penWidth", value);
        canvas_->setPenWidth(value);
    });
    connect(clear, &QPushButton::clicked, canvas_, &DrawingCanvas::clear);
    connect(undo, &QPushButton::clicked, canvas_->undoStack(), &QUndoStack::undo);
    connect(redo, &QPushButton::clicked, canvas_->undoStack(), &QUndoStack::redo);
    clearVerdict();
}

void DrawView::setModel(std::shared_ptr<const oddigit::AnomalyModel> model) {
    model_ = std::move(model);
    scorer_.setModel(model_);
    if (model_) gauge_->setThreshold(model_->info().threshold);
    last_ = {};
    rescore();
}

void DrawView::rescore() { latestRequest_ = scorer_.submit(canvas_->currentStrokes(), canvas_->background()); }

void DrawView::showImage(const QImage& image) {
    canvas_->undoStack()->clear();
    canvas_->setStrokes({});
    canvas_->setBackground(image);
}

QImage DrawView::overlayImage() const { return canvas_->snapshot(); }

void DrawView::clearVerdict() {
    verdict_->setText(model_ ? tr("Draw a digit") : tr("No model loaded"));
    verdict_->setStyleSheet({});
    gauge_->setScore(-1);
    details_->clear();
    strokeNote_->clear();
    for (QLabel* label : {input_, reconstruction_, heat_}) label->clear();
    canvas_->setHeat({}, {});
    canvas_->setStrokeVerdict(-1, {});
}

QString DrawView::strokeVerdict(const DrawingScore& result, int& oddStroke, QVector<double>& shares) const {
    oddStroke = -1;
    shares.clear();
    if (result.scoreWithout.isEmpty()) return {};
    double totalDrop = 0;
    QVector<double> drops;
    for (float without : result.scoreWithout) {
        drops.append(std::max(0.0, static_cast<double>(result.score.score - without)));
        totalDrop += drops.back();
    }
    for (double drop : drops) shares.append(totalDrop > 0 ? drop / totalDrop : 0.0);
    const int best = static_cast<int>(std::max_element(drops.begin(), drops.end()) - drops.begin());
    if (drops[best] < kMinimumOddShare * result.score.score) return {};
    oddStroke = best;
    const double without = result.scoreWithout[best];
    const double threshold = model_->info().threshold;
    QString note = result.flagged ? tr("Stroke %1 looks odd: without it the score falls from %2 to %3")
                                  : tr("Stroke %1 weighs most: without it the score falls from %2 to %3");
    note = note.arg(best + 1).arg(result.score.score, 0, 'g', 3).arg(without, 0, 'g', 3);
    if (result.flagged)
        note += oddigit::flagged(without, threshold) ? tr(", still over the threshold.") : tr(", under the threshold.");
    return note;
}

QString DrawView::verdictText() const { return verdict_->text(); }

QString DrawView::digitVerdict(const DrawingScore& result, int oddStroke) const {
    if (!model_->info().knows_digits) return result.flagged ? tr("Anomalous") : tr("Normal");
    // A flagged drawing whose odd stroke is outlined is named by the rest of its strokes: a 7
    // with a foreign zigzag is an odd 7, whatever digit the zigzag makes the whole look like.
    if (result.flagged && oddStroke >= 0 && oddStroke < result.bestDigitWithout.size() &&
        std::exp(-result.notDigitWithout[oddStroke]) >= kFitsADigit)
        return tr("An odd %1").arg(result.bestDigitWithout[oddStroke]);
    if (std::exp(-result.score.not_digit) < kFitsADigit) return tr("No digit fits (closest: %1)").arg(result.score.best_digit);
    return result.flagged ? tr("An odd %1").arg(result.score.best_digit) : tr("Looks like a %1").arg(result.score.best_digit);
}

void DrawView::onScored(const DrawingScore& result) {
    // An answer to an older drawing than the one shown comes too late to show.
    if (result.request < last_.request) return;
    last_ = result;
    if (!model_ || result.blank) {
        clearVerdict();
        emit scoredDrawing(result);
        return;
    }
    const double score = result.score.score;
    gauge_->setScore(score);
    int oddStroke = -1;
    QVector<double> shares;
    strokeNote_->setText(strokeVerdict(result, oddStroke, shares));
    canvas_->setStrokeVerdict(oddStroke, shares);
    verdict_->setText(digitVerdict(result, oddStroke));
    verdict_->setStyleSheet(result.flagged ? "color: rgb(215, 58, 73)" : "color: rgb(46, 160, 67)");
    const oddigit::ModelInfo& info = model_->info();
    const oddigit::WeightedParts<float> weighted = oddigit::weighted_parts(info, result.score);
    const QString parts = tr("pixels %1 + κ·features %2").arg(weighted.pixel, 0, 'g', 3).arg(weighted.feature, 0, 'g', 3);
    const QString digitPart = info.knows_digits ? tr(" + not a digit %1").arg(weighted.digit, 0, 'g', 3) : QString();
    const QString densityPart = info.knows_density ? tr(" + density %1").arg(weighted.density, 0, 'g', 3) : QString();
    details_->setText(tr("Score %1 (%2%3%4)\nHigher than %5% of normal validation digits · %6 ms")
                          .arg(score, 0, 'g', 4)
                          .arg(parts, digitPart, densityPart)
                          .arg(100.0 * result.percentile, 0, 'f', 1)
                          .arg(result.milliseconds, 0, 'f', 1));
    input_->setPixmap(enlarged(image_conversions::toQImage(result.input)));
    reconstruction_->setPixmap(enlarged(image_conversions::toQImage(result.score.reconstruction)));
    refreshHeat();
    emit scoredDrawing(result);
}

void DrawView::refreshHeat() {
    if (!model_ || last_.blank) return;
    const QCPColorGradient gradient = image_conversions::chosenColormap();
    const QImage heat = image_conversions::heatImage(last_.score.heatmap, model_->info().heat_full_scale, gradient);
    heat_->setPixmap(enlarged(image_conversions::overBlack(heat)));
    canvas_->setHeat(heat, last_.gridToLogical);
}

void DrawView::onStrokeHovered(int index, double share) {
    if (index < 0 || last_.scoreWithout.isEmpty()) {
        canvas_->setToolTip({});
        return;
    }
    canvas_->setToolTip(tr("Stroke %1: %2% of the evidence (score without it: %3)")
                            .arg(index + 1)
                            .arg(100.0 * share, 0, 'f', 0)
                            .arg(index < last_.scoreWithout.size() ? last_.scoreWithout[index] : 0.0f, 0, 'g', 3));
}
