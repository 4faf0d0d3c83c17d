#include "image_conversions.h"

#include <QPainter>
#include <QSettings>
#include <qcustomplot.h>

#include <algorithm>

namespace image_conversions {

namespace {
const char* const kColormapKey = "draw/colormap";

// Viridis (van der Walt and Smith, matplotlib). QCustomPlot 2.1 has no preset for it;
// these are nine of its stops.
QCPColorGradient viridis() {
    QCPColorGradient gradient;
    gradient.clearColorStops();
    const QList<QColor> stops = {QColor(68, 1, 84),    QColor(71, 45, 123),  QColor(59, 82, 139),
                                 QColor(44, 114, 142), QColor(33, 145, 140), QColor(40, 174, 128),
                                 QColor(94, 201, 98),  QColor(173, 220, 48), QColor(253, 231, 37)};
    for (int i = 0; i < stops.size(); ++i) gradient.setColorStopAt(i / (stops.size() - 1.0), stops[i]);
    return gradient;
}

const QList<QPair<QString, QCPColorGradient>>& colormaps() {
    static const QList<QPair<QString, QCPColorGradient>> all = {
        {"Viridis (colour-blind safe)", viridis()},
        {"Hot", QCPColorGradient(QCPColorGradient::gpHot)},
        {"Thermal", QCPColorGradient(QCPColorGradient::gpThermal)},
        {"Jet", QCPColorGradient(QCPColorGradient::gpJet)},
        {"Grayscale", QCPColorGradient(QCPColorGradient::gpGrayscale)}};
    return all;
}
}  // namespace

QStringList colormapNames() {
    QStringList names;
    for (const auto& colormap : colormaps()) names << colormap.first;
    return names;
}

QString chosenColormapName() {
    const QString chosen = QSettings().value(kColormapKey).toString();
    return colormapNames().contains(chosen) ? chosen : colormaps().first().first;
}

QCPColorGradient chosenColormap() {
    const QString name = chosenColormapName();
    for (const auto& colormap : colormaps())
        if (colormap.first == name) return colormap.second;
    return colormaps().first().second;
}

void chooseColormap(const QString& name) { QSettings().setValue(kColormapKey, name); }

QImage toQImage(const float* pixels) {
    QImage image(oddigit::kImageSide, oddigit::kImageSide, QImage::Format_Grayscale8);
    for (int y = 0; y < oddigit::kImageSide; ++y) {
        uchar* line = image.scanLine(y);
        for (int x = 0; x < oddigit::kImageSide; ++x)
            line[x] = static_cast<uchar>(255.0f * std::clamp(pixels[y * oddigit::kImageSide + x], 0.0f, 1.0f) + 0.5f);
    }
    return image;
}

QImage toQImage(const oddigit::Image28& image) { return toQImage(image.data()); }

QPixmap thumbnail(const float* pixels, int zoom) {
    return QPixmap::fromImage(toQImage(pixels).scaled(28 * zoom, 28 * zoom));
}

QImage heatImage(const oddigit::Image28& heat, double fullScale, QCPColorGradient gradient) {
    QImage image(oddigit::kImageSide, oddigit::kImageSide, QImage::Format_ARGB32);
    const QCPRange range(0.0, 1.0);
    for (int y = 0; y < oddigit::kImageSide; ++y) {
        auto* line = reinterpret_cast<QRgb*>(image.scanLine(y));
        for (int x = 0; x < oddigit::kImageSide; ++x) {
            const double level = std::clamp(heat[y * oddigit::kImageSide + x] / fullScale, 0.0, 1.0);
            QColor colour = gradient.color(level, range);
            colour.setAlphaF(static_cast<float>(level));
            line[x] = colour.rgba();
        }
    }
    return image;
}

QImage overBlack(const QImage& image) {
    QImage result(image.size(), QImage::Format_ARGB32);
    result.fill(Qt::black);
    QPainter(&result).drawImage(0, 0, image);
    return result;
}

oddigit::GrayImage toGray(const QImage& image) {
    const QImage gray = image.convertToFormat(QImage::Format_Grayscale8);
    oddigit::GrayImage result{gray.width(), gray.height(), {}};
    result.pixels.resize(static_cast<size_t>(gray.width()) * gray.height());
    for (int y = 0; y < gray.height(); ++y)
        std::copy_n(gray.constScanLine(y), gray.width(), result.pixels.begin() + static_cast<ptrdiff_t>(y) * gray.width());
    return result;
}

QImage grid(const oddigit::ImageBatch& images, int columns, int zoom) {
    const int count = static_cast<int>(images.size());
    const int rows = std::max(1, (count + columns - 1) / columns);
    const int cell = oddigit::kImageSide * zoom;
    QImage sheet(columns * cell, rows * cell, QImage::Format_Grayscale8);
    sheet.fill(0);
    QPainter painter(&sheet);
    for (int i = 0; i < count; ++i)
        painter.drawImage(QRect((i % columns) * cell, (i / columns) * cell, cell, cell), toQImage(images.image(i)));
    return sheet;
}

}  // namespace image_conversions
