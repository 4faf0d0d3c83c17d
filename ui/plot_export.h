#pragma once
// "Export as PNG / SVG / PDF" on a plot's context menu, and the same for any widget that
// shows a picture (PNG only).
#include <QString>

class QCustomPlot;
class QLabel;

namespace plot_export {

enum class Format { Png, Svg, Pdf };

// Writes the plot at its current size (PNG at twice the pixels, so it stays sharp).
// Returns an empty string or the error.
QString save(QCustomPlot* plot, const QString& path, Format format);

// Right-click on the plot offers the three formats; baseName is the suggested file name.
void addContextMenu(QCustomPlot* plot, const QString& baseName);

// Right-click on the label offers its pixmap as PNG.
void addContextMenu(QLabel* picture, const QString& baseName);

}  // namespace plot_export
