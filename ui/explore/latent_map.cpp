#include "explore/latent_map.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>
#include <QStandardPaths>
#include <qcustomplot.h>

#include <algorithm>

#include "explore/score_plots.h"
#include "oddigit/score.h"

namespace latent_map {

namespace {
const QColor kCategoryColours[10] = {QColor(31, 119, 180), QColor(255, 127, 14), QColor(44, 160, 44),
                                  QColor(214, 39, 40),  QColor(148, 103, 189), QColor(140, 86, 75),
                                  QColor(227, 119, 194), QColor(127, 127, 127), QColor(188, 189, 34),
                                  QColor(23, 190, 207)};

// The colour of category group g: the ten of matplotlib's tab10, then hues a golden angle apart.
QColor categoryColour(int g) {
    return g < 10 ? kCategoryColours[g] : QColor::fromHsv((g * 137) % 360, 160, 200);
}
}  // namespace

// "v1" changes with the t-SNE's settings.
QString cachedMapPath(const oddigit::AnomalyModel& model, size_t images) {
    return QStandardPaths::writableLocation(QStandardPaths::CacheLocation) +
           QString("/latent-maps/tsne-v1-%1-%2.f32").arg(model.fingerprint(), 16, 16, QChar('0')).arg(images);
}

std::vector<float> readCachedMap(const QString& path, size_t images) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly) || file.size() != static_cast<qint64>(2 * images * sizeof(float))) return {};
    std::vector<float> map(2 * images);
    if (file.read(reinterpret_cast<char*>(map.data()), file.size()) != file.size()) return {};
    return map;
}

void writeCachedMap(const QString& path, const std::vector<float>& map) {
    QDir().mkpath(QFileInfo(path).path());
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) return;
    file.write(reinterpret_cast<const char*>(map.data()), static_cast<qint64>(map.size() * sizeof(float)));
    file.commit();
}

void plotMap(QCustomPlot* plot, const std::vector<float>& map, bool tsne, const TestSetScores& results,
             const std::vector<uint8_t>& labels, const GroupNames& names, Colouring colouring, double threshold) {
    plot->xAxis->setLabel(tsne ? QObject::tr("t-SNE 1") : QObject::tr("latent PC 1"));
    plot->yAxis->setLabel(tsne ? QObject::tr("t-SNE 2") : QObject::tr("latent PC 2"));
    const bool byChannel = colouring == Colouring::Channel;
    const int groups = byChannel                            ? 3
                       : colouring == Colouring::Label     ? static_cast<int>(names.labels.size())
                       : colouring == Colouring::BestDigit ? static_cast<int>(names.classes.size())
                                                           : 10;
    std::vector<float> sorted = results.scores;
    std::sort(sorted.begin(), sorted.end());
    QVector<QVector<double>> xs(groups), ys(groups);
    for (size_t i = 0; i < results.scores.size(); ++i) {
        int group = labels[i];
        switch (colouring) {
            case Colouring::Label: break;
            case Colouring::BestDigit: group = results.figures[i].best_class; break;
            case Colouring::Score:
                group = std::min(groups - 1, static_cast<int>(groups * (std::lower_bound(sorted.begin(), sorted.end(), results.scores[i]) - sorted.begin()) / sorted.size()));
                break;
            case Colouring::Channel:
                group = !oddigit::flagged(results.scores[i], threshold) ? 0 : results.shapeLeads(i) ? 2 : 1;
                break;
        }
        if (group < 0 || group >= groups) continue;  // no digit head
        xs[group].append(map[2 * i]);
        ys[group].append(map[2 * i + 1]);
    }
    QCPColorGradient gradient(QCPColorGradient::gpThermal);
    const QColor channelColours[] = {QColor(190, 190, 190), QColor(230, 140, 30), QColor(120, 60, 200)};
    const QString channelNames[] = {QObject::tr("not flagged"), QObject::tr("flagged: stroke"), QObject::tr("flagged: shape")};
    for (int g = 0; g < groups; ++g) {
        QCPGraph* graph = plot->addGraph();
        const QColor colour = byChannel                         ? channelColours[g]
                              : colouring == Colouring::Score ? gradient.color(g / (groups - 1.0), QCPRange(0, 1))
                                                              : categoryColour(g);
        graph->setLineStyle(QCPGraph::lsNone);
        graph->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, colour, colour, 3));
        graph->setData(xs[g], ys[g]);
        switch (colouring) {
            case Colouring::Label: graph->setName(QObject::tr("label %1").arg(names.labels[g])); break;
            case Colouring::BestDigit: graph->setName(QObject::tr("looks like %1").arg(names.classes[g])); break;
            case Colouring::Score: graph->setName(QObject::tr("score decile %1").arg(g + 1)); break;
            case Colouring::Channel: graph->setName(channelNames[g]); break;
        }
        graph->setAdaptiveSampling(true);
    }
    score_plots::showAxes(plot, true);
    plot->rescaleAxes();
    plot->replot();
}

int nearestPoint(const QCustomPlot* plot, const std::vector<float>& map, size_t points, const QPointF& pixel) {
    if (map.empty()) return -1;
    int best = -1;
    double bestDistance = 12 * 12;  // pixels
    for (size_t i = 0; i < points; ++i) {
        const double dx = plot->xAxis->coordToPixel(map[2 * i]) - pixel.x();
        const double dy = plot->yAxis->coordToPixel(map[2 * i + 1]) - pixel.y();
        if (dx * dx + dy * dy < bestDistance) {
            bestDistance = dx * dx + dy * dy;
            best = static_cast<int>(i);
        }
    }
    return best;
}

}  // namespace latent_map
