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
// A stroke whose removal lowers the leading channel's ratio by less than this share is not called odd.
constexpr double kMinimumOddShare = 0.05;
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

double ratioOf(const oddigit::ImageScore& score, oddigit::Channel channel) {
    return channel == oddigit::Channel::Shape ? score.shape_ratio : score.stroke_ratio;
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
    verdict_->setObjectName("verdict");
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
    gauge_->setRatios(-1, -1, !model_ || oddigit::has_shape_channel(model_->info()));
    details_->clear();
    strokeNote_->clear();
    for (QLabel* label : {input_, reconstruction_, heat_}) label->clear();
    canvas_->setHeat({}, {});
    canvas_->setStrokeVerdict(-1, {});
}

QString DrawView::strokeVerdict(const DrawingScore& result, int& oddStroke, QVector<double>& shares) const {
    oddStroke = -1;
    shares.clear();
    if (result.without.isEmpty()) return {};
    // A stroke's removal is weighed by the leading channel: the one that flagged the drawing, if any.
    const oddigit::Channel lead = oddigit::leading_channel(result.score);
    const double ratio = ratioOf(result.score, lead);
    double totalDrop = 0;
    QVector<double> drops;
    for (const oddigit::ImageScore& without : result.without) {
        drops.append(std::max(0.0, ratio - ratioOf(without, lead)));
        totalDrop += drops.back();
    }
    for (double drop : drops) shares.append(totalDrop > 0 ? drop / totalDrop : 0.0);
    const int best = static_cast<int>(std::max_element(drops.begin(), drops.end()) - drops.begin());
    if (!(drops[best] > 0) || drops[best] < kMinimumOddShare * ratio) return {};
    oddStroke = best;
    const double without = ratioOf(result.without[best], lead);
    const QString channel = lead == oddigit::Channel::Shape ? tr("shape") : tr("stroke");
    QString note = result.flagged ? tr("Stroke %1 looks odd: without it the %2 ratio falls from %3× to %4×")
                                  : tr("Stroke %1 weighs most: without it the %2 ratio falls from %3× to %4×");
    note = note.arg(best + 1).arg(channel).arg(ratio, 0, 'f', 2).arg(without, 0, 'f', 2);
    if (result.flagged)
        note += oddigit::flagged(without, oddigit::kFlagRatio) ? tr(", still at its threshold or over.")
                                                               : tr(", under its threshold.");
    return note;
}

QString DrawView::verdictText() const { return verdict_->text(); }

QString DrawView::digitVerdict(const DrawingScore& result, int oddStroke) const {
    const oddigit::ModelInfo& info = model_->info();
    // A flagged drawing whose outlined stroke leaves a digit behind (the rest's shape ratio
    // under 1) is that digit with an odd stroke, whichever channel fired: a 7 with a foreign
    // zigzag is an odd 7, though the zigzag makes the whole no digit to the shape channel.
    const bool restIsADigit = result.flagged && info.knows_digits && oddStroke >= 0 &&
                              result.without[oddStroke].shape_ratio < oddigit::kFlagRatio;
    if (restIsADigit)
        return tr("An odd %1 — stroke %2 looks odd").arg(result.without[oddStroke].best_digit).arg(oddStroke + 1);
    QString text = QString::fromStdString(oddigit::verdict(info, result.score));
    text[0] = text[0].toUpper();
    if (result.channel == oddigit::Channel::Stroke && oddStroke >= 0) text += tr(" — stroke %1 looks odd").arg(oddStroke + 1);
    return text;
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
    const oddigit::ModelInfo& info = model_->info();
    const bool shapeChannel = oddigit::has_shape_channel(info);
    gauge_->setRatios(result.score.stroke_ratio, result.score.shape_ratio, shapeChannel);
    int oddStroke = -1;
    QVector<double> shares;
    strokeNote_->setText(strokeVerdict(result, oddStroke, shares));
    canvas_->setStrokeVerdict(oddStroke, shares);
    verdict_->setText(digitVerdict(result, oddStroke));
    verdict_->setStyleSheet(result.flagged ? "color: rgb(215, 58, 73)" : "color: rgb(46, 160, 67)");
    const oddigit::WeightedParts<float> weighted = oddigit::weighted_parts(info, result.score);
    QString text = tr("Stroke %1× its threshold (pixels %2 + κ·features %3)")
                       .arg(result.score.stroke_ratio, 0, 'f', 2)
                       .arg(weighted.pixel, 0, 'g', 3)
                       .arg(weighted.feature, 0, 'g', 3);
    if (shapeChannel) {
        QStringList parts;
        if (info.knows_digits) parts << tr("not a digit %1").arg(weighted.digit, 0, 'g', 3);
        if (info.knows_density) parts << tr("density %1").arg(weighted.density, 0, 'g', 3);
        if (info.realness_weight > 0) parts << tr("realness %1").arg(weighted.realness, 0, 'g', 3);
        text += tr("\nShape %1× its threshold (%2)").arg(result.score.shape_ratio, 0, 'f', 2).arg(parts.join(" + "));
    }
    details_->setText(text + tr("\nHigher than %1% of normal held-out digits · %2 ms")
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
    const QImage heat = image_conversions::heatImage(
        last_.score.heatmap, oddigit::thresholds_for(model_->info(), last_.input_kind).heat_full_scale, gradient);
    heat_->setPixmap(enlarged(image_conversions::overBlack(heat)));
    canvas_->setHeat(heat, last_.gridToLogical);
}

void DrawView::onStrokeHovered(int index, double share) {
    if (index < 0 || index >= last_.without.size()) {
        canvas_->setToolTip({});
        return;
    }
    const oddigit::ImageScore& without = last_.without[index];
    canvas_->setToolTip(tr("Stroke %1: %2% of the evidence (without it: stroke %3×, shape %4×)")
                            .arg(index + 1)
                            .arg(100.0 * share, 0, 'f', 0)
                            .arg(without.stroke_ratio, 0, 'f', 2)
                            .arg(without.shape_ratio, 0, 'f', 2));
}
