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
// The canvas preferences before the user sets them (also the settings' defaults).
constexpr int kDefaultOpacityPercent = 65;
constexpr int kDefaultPenWidth = static_cast<int>(oddigit::kDefaultPenWidth);

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

double ratioOf(const oddigit::ScoreFigures& score, oddigit::Channel channel) {
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
    createScoreWidgets();
    layOutWidgets(createCanvasControls());
    restorePreferences();
    connectSignals();
    clearVerdict();
}

void DrawView::createScoreWidgets() {
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
}

QGroupBox* DrawView::createCanvasControls() {
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
    connect(clear, &QPushButton::clicked, canvas_, &DrawingCanvas::clear);
    connect(undo, &QPushButton::clicked, canvas_->undoStack(), &QUndoStack::undo);
    connect(redo, &QPushButton::clicked, canvas_->undoStack(), &QUndoStack::redo);

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
    return overlayBox;
}

void DrawView::layOutWidgets(QGroupBox* canvasControls) {
    auto* previews = new QHBoxLayout;
    previews->addWidget(captioned(input_, tr("Model input")));
    previews->addWidget(captioned(reconstruction_, tr("Reconstruction")));
    previews->addWidget(captioned(heat_, tr("Heatmap")));

    auto* side = new QVBoxLayout;
    side->addWidget(verdict_);
    side->addWidget(gauge_);
    side->addWidget(details_);
    side->addLayout(previews);
    side->addWidget(strokeNote_);
    side->addStretch(1);
    side->addWidget(canvasControls);
    auto* sideWidget = new QWidget;
    sideWidget->setLayout(side);
    sideWidget->setMaximumWidth(420);

    auto* layout = new QHBoxLayout(this);
    layout->addWidget(canvas_, 1);
    layout->addWidget(sideWidget);
}

void DrawView::restorePreferences() {
    // Preferences persist between sessions.
    const QSettings settings;
    colormap_->setCurrentText(image_conversions::chosenColormapName());
    opacity_->setValue(settings.value("draw/opacity", kDefaultOpacityPercent).toInt());
    penWidth_->setValue(settings.value("draw/penWidth", kDefaultPenWidth).toInt());
    canvas_->setHeatOpacity(opacity_->value() / 100.0);
    canvas_->setPenWidth(static_cast<float>(penWidth_->value()));
}

void DrawView::connectSignals() {
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
        canvas_->setPenWidth(static_cast<float>(value));
    });
}

void DrawView::setModel(std::shared_ptr<const oddigit::AnomalyModel> model) {
    model_ = std::move(model);
    scorer_.setModel(model_);
    last_ = {};
    rescore();
}

QString DrawView::drawPrompt() const {
    QStringList names;
    const oddigit::ModelInfo& info = model_->info();
    for (int c = 0; c < info.architecture.classes; ++c)
        if (info.normal_classes.contains(c)) names << QString::fromStdString(info.normal_classes.name(c));
    return tr("Draw a %1").arg(names.join(tr(" or ")));
}

void DrawView::rescore() { latestRequest_ = scorer_.submit(canvas_->currentDrawing()); }

void DrawView::showImage(const oddigit::GrayImage& image) {
    canvas_->undoStack()->clear();
    canvas_->setStrokes({});
    canvas_->setBackground(image);
}

void DrawView::showDrawing(const oddigit::Drawing& drawing) {
    canvas_->undoStack()->clear();
    canvas_->setBackground({});
    canvas_->setStrokes(drawing.strokes);
}

QImage DrawView::overlayImage() const { return canvas_->snapshot(); }

void DrawView::clearVerdict() {
    verdict_->setText(!model_ ? tr("No model loaded") : model_->info().normal_classes.names_digits() ? tr("Draw a digit") : drawPrompt());
    verdict_->setStyleSheet({});
    gauge_->setRatios(-1, -1, !model_ || oddigit::has_shape_channel(model_->info()));
    details_->clear();
    strokeNote_->clear();
    for (QLabel* label : {input_, reconstruction_, heat_}) label->clear();
    canvas_->setHeat({}, {});
    canvas_->setStrokeBlame(-1, {});
}

QString DrawView::blameNote(const oddigit::DrawingJudgement& judged) const {
    const int blamed = judged.outlined_stroke;
    if (blamed < 0) return {};
    const oddigit::Channel lead = oddigit::leading_channel(judged.score);
    const double ratio = ratioOf(judged.score, lead), without = ratioOf(judged.strokes[blamed].without, lead);
    const bool flagged = oddigit::flagged(judged.score);
    QString note = flagged ? tr("Stroke %1 looks odd: without it the %2 ratio falls from %3× to %4×")
                           : tr("Stroke %1 weighs most: without it the %2 ratio falls from %3× to %4×");
    note = note.arg(blamed + 1)
               .arg(lead == oddigit::Channel::Shape ? tr("shape") : tr("stroke"))
               .arg(ratio, 0, 'f', 2)
               .arg(without, 0, 'f', 2);
    if (flagged)
        note += oddigit::reaches_threshold(static_cast<float>(without)) ? tr(", still at its threshold or over.")
                                                                          : tr(", under its threshold.");
    return note;
}

QString DrawView::verdictText() const { return verdict_->text(); }

QString DrawView::detailsText(const DrawingScore& result) const {
    const oddigit::ModelInfo& info = model_->info();
    const oddigit::ImageScore& score = result.judged.score;
    const oddigit::WeightedParts<float> weighted = oddigit::weighted_parts(info, score);
    QString text = tr("Stroke %1× its threshold (pixel residual %2 + κ·feature residual %3)")
                       .arg(score.stroke_ratio, 0, 'f', 2)
                       .arg(weighted.pixel_residual, 0, 'g', 3)
                       .arg(weighted.feature_residual, 0, 'g', 3);
    if (oddigit::has_shape_channel(info)) {
        QStringList parts;
        for (const oddigit::NamedPart& part : oddigit::shape_parts(info, weighted))
            parts << QStringLiteral("%1 %2").arg(tr(part.name)).arg(part.value, 0, 'g', 3);
        text += tr("\nShape %1× its threshold (%2)").arg(score.shape_ratio, 0, 'f', 2).arg(parts.join(" + "));
    }
    // The percentile is among the images of the calibration the drawing was measured against.
    const bool asDrawn = &oddigit::calibration_for(info, result.judged.input) == &info.canvas;
    const QString among = asDrawn ? tr("held-out digits redrawn as drawings (the canvas calibration)")
                                  : tr("held-out MNIST digits (the scans' calibration)");
    return text + tr("\nHigher than %1% of the %2 · %3 ms")
                      .arg(100.0 * result.judged.percentile, 0, 'f', 1)
                      .arg(among)
                      .arg(result.milliseconds, 0, 'f', 1);
}

void DrawView::onScored(const DrawingScore& result) {
    // An answer to an older drawing than the one shown comes too late to show.
    if (result.request < last_.request) return;
    last_ = result;
    const oddigit::DrawingJudgement& judged = result.judged;
    if (!model_ || judged.blank) {
        clearVerdict();
        emit scoredDrawing(result);
        return;
    }
    gauge_->setRatios(judged.score.stroke_ratio, judged.score.shape_ratio, oddigit::has_shape_channel(model_->info()));
    QVector<double> shares;
    for (const oddigit::StrokeJudgement& stroke : judged.strokes) shares.append(stroke.share);
    strokeNote_->setText(blameNote(judged));
    canvas_->setStrokeBlame(judged.outlined_stroke, shares);
    verdict_->setText(QString::fromStdString(judged.verdict_text));
    verdict_->setStyleSheet(oddigit::flagged(judged.score) ? "color: rgb(215, 58, 73)" : "color: rgb(46, 160, 67)");
    details_->setText(detailsText(result));
    input_->setPixmap(enlarged(image_conversions::toQImage(judged.model_input)));
    reconstruction_->setPixmap(enlarged(image_conversions::toQImage(judged.score.reconstruction)));
    refreshHeat();
    emit scoredDrawing(result);
}

void DrawView::refreshHeat() {
    if (!model_ || last_.judged.blank) return;
    const QCPColorGradient gradient = image_conversions::chosenColormap();
    const QImage heat = image_conversions::heatImage(
        last_.judged.score.heatmap, oddigit::calibration_for(model_->info(), last_.judged.input).heat_full_scale, gradient);
    heat_->setPixmap(enlarged(image_conversions::overBlack(heat)));
    canvas_->setHeat(heat, last_.gridToPaper);
}

void DrawView::onStrokeHovered(int index, double share) {
    if (index < 0 || index >= static_cast<int>(last_.judged.strokes.size())) {
        canvas_->setToolTip({});
        return;
    }
    const oddigit::ScoreFigures& without = last_.judged.strokes[index].without;
    canvas_->setToolTip(tr("Stroke %1: %2% of the evidence (without it: stroke %3×, shape %4×)")
                            .arg(index + 1)
                            .arg(100.0 * share, 0, 'f', 0)
                            .arg(without.stroke_ratio, 0, 'f', 2)
                            .arg(without.shape_ratio, 0, 'f', 2));
}
