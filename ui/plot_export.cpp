#include "plot_export.h"

#include <QFileDialog>
#include <QLabel>
#include <QMenu>
#include <QMessageBox>
#include <QPainter>
#include <QSvgGenerator>
#include <qcustomplot.h>

namespace plot_export {

namespace {
// PNGs are written at this many pixels per screen pixel.
constexpr double kPngScale = 2.0;

struct FormatInfo {
    Format format;
    const char* label;
    const char* suffix;
};
const FormatInfo kFormats[] = {
    {Format::Png, "PNG image", "png"}, {Format::Svg, "SVG drawing", "svg"}, {Format::Pdf, "PDF document", "pdf"}};

void reportFailure(QWidget* parent, const QString& error) {
    if (!error.isEmpty()) QMessageBox::critical(parent, QObject::tr("Export failed"), error);
}
}  // namespace

QString save(QCustomPlot* plot, const QString& path, Format format) {
    bool written = false;
    switch (format) {
        case Format::Png:
            written = plot->savePng(path, 0, 0, kPngScale);
            break;
        case Format::Pdf:
            written = plot->savePdf(path);
            break;
        case Format::Svg: {
            QSvgGenerator svg;
            svg.setFileName(path);
            svg.setSize(plot->size());
            svg.setViewBox(plot->rect());
            svg.setTitle(plot->accessibleName());
            QCPPainter painter;
            written = painter.begin(&svg);
            if (written) {
                plot->toPainter(&painter, plot->width(), plot->height());
                written = painter.end();
            }
            break;
        }
    }
    return written && QFileInfo(path).size() > 0 ? QString() : QObject::tr("cannot write %1").arg(path);
}

void addContextMenu(QCustomPlot* plot, const QString& baseName) {
    plot->setContextMenuPolicy(Qt::CustomContextMenu);
    QObject::connect(plot, &QWidget::customContextMenuRequested, plot, [plot, baseName](const QPoint& at) {
        QMenu menu(plot);
        for (const FormatInfo& info : kFormats) {
            menu.addAction(QObject::tr("Export as %1…").arg(info.label), plot, [plot, baseName, info] {
                const QString path = QFileDialog::getSaveFileName(
                    plot, QObject::tr("Export plot"), baseName + "." + info.suffix,
                    QObject::tr("%1 (*.%2)").arg(info.label, info.suffix));
                if (!path.isEmpty()) reportFailure(plot, save(plot, path, info.format));
            });
        }
        menu.exec(plot->mapToGlobal(at));
    });
}

void addContextMenu(QLabel* picture, const QString& baseName) {
    picture->setContextMenuPolicy(Qt::CustomContextMenu);
    QObject::connect(picture, &QWidget::customContextMenuRequested, picture, [picture, baseName](const QPoint& at) {
        if (picture->pixmap().isNull()) return;
        QMenu menu(picture);
        menu.addAction(QObject::tr("Export as PNG image…"), picture, [picture, baseName] {
            const QString path = QFileDialog::getSaveFileName(picture, QObject::tr("Export picture"), baseName + ".png",
                                                              QObject::tr("PNG image (*.png)"));
            if (!path.isEmpty() && !picture->pixmap().save(path, "PNG"))
                reportFailure(picture, QObject::tr("cannot write %1").arg(path));
        });
        menu.exec(picture->mapToGlobal(at));
    });
}

}  // namespace plot_export
