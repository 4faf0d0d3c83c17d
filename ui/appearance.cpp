#include "appearance.h"

#include <QApplication>
#include <QEvent>
#include <QPalette>
#include <QSettings>
#include <QStyle>
#include <QStyleFactory>
#include <qcustomplot.h>

namespace appearance {

namespace {

const char* const kSettingsKey = "appearance/colorScheme";
const char* const kNames[] = {"system", "light", "dark"};

// Opacity of a legend's background, out of 255.
constexpr int kLegendAlpha = 200;

// Both of the app's own schemes use Fusion, which draws every control from the palette.
const char* const kOwnStyle = "Fusion";

struct SystemLook {
    QString style;
    QPalette palette;
};

// The desktop's style and palette, as they were before the app changed them.
const SystemLook& systemLook() {
    static const SystemLook look{QApplication::style()->name(), QApplication::palette()};
    return look;
}

ColorScheme& applied() {
    static ColorScheme scheme = ColorScheme::System;
    return scheme;
}

QPalette darkPalette() {
    const QColor window(45, 45, 48), base(30, 30, 32), raised(58, 58, 62), text(230, 230, 230),
        disabledText(127, 127, 127), highlight(61, 123, 217);
    QPalette palette;
    palette.setColor(QPalette::Window, window);
    palette.setColor(QPalette::WindowText, text);
    palette.setColor(QPalette::Base, base);
    palette.setColor(QPalette::AlternateBase, raised);
    palette.setColor(QPalette::ToolTipBase, raised);
    palette.setColor(QPalette::ToolTipText, text);
    palette.setColor(QPalette::PlaceholderText, QColor(150, 150, 150));
    palette.setColor(QPalette::Text, text);
    palette.setColor(QPalette::Button, raised);
    palette.setColor(QPalette::ButtonText, text);
    palette.setColor(QPalette::BrightText, QColor(255, 90, 90));
    palette.setColor(QPalette::Light, QColor(80, 80, 86));
    palette.setColor(QPalette::Midlight, QColor(68, 68, 72));
    palette.setColor(QPalette::Mid, QColor(96, 96, 100));
    palette.setColor(QPalette::Dark, QColor(24, 24, 26));
    palette.setColor(QPalette::Shadow, QColor(10, 10, 10));
    palette.setColor(QPalette::Highlight, highlight);
    palette.setColor(QPalette::HighlightedText, Qt::white);
    palette.setColor(QPalette::Link, QColor(110, 165, 240));
    palette.setColor(QPalette::LinkVisited, QColor(170, 140, 230));
    for (const QPalette::ColorRole role : {QPalette::WindowText, QPalette::Text, QPalette::ButtonText})
        palette.setColor(QPalette::Disabled, role, disabledText);
    palette.setColor(QPalette::Disabled, QPalette::Highlight, QColor(80, 80, 84));
    return palette;
}

void stylePlot(QCustomPlot* plot) {
    const QPalette palette = plot->palette();
    const QColor text = palette.color(QPalette::Text), grid = palette.color(QPalette::Mid);
    plot->setBackground(palette.base());
    for (QCPAxis* axis : plot->axisRect()->axes()) {
        axis->setBasePen(QPen(text));
        axis->setTickPen(QPen(text));
        axis->setSubTickPen(QPen(text));
        axis->setTickLabelColor(text);
        axis->setLabelColor(text);
        axis->grid()->setPen(QPen(grid, 0, Qt::DotLine));
        axis->grid()->setZeroLinePen(QPen(grid));
    }
    // A legend over dense points (the latent map) lets them show through a little.
    QColor legendBackground = palette.color(QPalette::Base);
    legendBackground.setAlpha(kLegendAlpha);
    plot->legend->setBrush(legendBackground);
    plot->legend->setBorderPen(QPen(grid));
    plot->legend->setTextColor(text);
    for (int i = 0; i < plot->itemCount(); ++i)
        if (auto* label = qobject_cast<QCPItemText*>(plot->item(i))) label->setColor(palette.color(QPalette::PlaceholderText));
}

// Restyles its plot when the plot's palette changes (the application's palette did).
class PaletteFollower : public QObject {
public:
    explicit PaletteFollower(QCustomPlot* plot) : QObject(plot), plot_(plot) { plot->installEventFilter(this); }

protected:
    bool eventFilter(QObject* watched, QEvent* event) override {
        if (watched == plot_ && event->type() == QEvent::PaletteChange) {
            stylePlot(plot_);
            plot_->replot(QCustomPlot::rpQueuedReplot);
        }
        return false;
    }

private:
    QCustomPlot* plot_;
};

}  // namespace

void apply(ColorScheme scheme) {
    const SystemLook& system = systemLook();
    applied() = scheme;
    if (scheme == ColorScheme::System) {
        QApplication::setStyle(QStyleFactory::create(system.style));
        QApplication::setPalette(system.palette);
        return;
    }
    QApplication::setStyle(QStyleFactory::create(kOwnStyle));
    QApplication::setPalette(scheme == ColorScheme::Dark ? darkPalette() : QApplication::style()->standardPalette());
}

ColorScheme current() { return applied(); }

ColorScheme saved() {
    return parse(QSettings().value(kSettingsKey).toString()).value_or(ColorScheme::System);
}

void save(ColorScheme scheme) { QSettings().setValue(kSettingsKey, kNames[static_cast<int>(scheme)]); }

std::optional<ColorScheme> parse(const QString& name) {
    for (int i = 0; i < 3; ++i)
        if (name == kNames[i]) return static_cast<ColorScheme>(i);
    return std::nullopt;
}

void followPalette(QCustomPlot* plot) {
    stylePlot(plot);
    new PaletteFollower(plot);
}

}  // namespace appearance
