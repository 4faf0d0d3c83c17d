#pragma once
// The Explore view's latent map: the test images' codes in two dimensions (PCA, or t-SNE
// kept in a cache per model), plotted in colour groups.
#include <QPointF>
#include <QString>
#include <QStringList>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "explore/test_set_scores.h"
#include "oddigit/model.h"

class QCustomPlot;

namespace latent_map {

// Where the t-SNE map of a model's test-set codes is kept: the model's fingerprint names it,
// so a retrained model never finds a stale map.
QString cachedMapPath(const oddigit::AnomalyModel& model, size_t images);
// The cached map of `images` points, or nothing when there is none or it is damaged.
std::vector<float> readCachedMap(const QString& path, size_t images);
// A failed write only costs the next visit the computation again.
void writeCachedMap(const QString& path, const std::vector<float>& map);

// What the points' colours tell, in the order of the view's "Colour by" choices.
enum class Colouring { Label, Score, BestDigit, Channel };

// The names of the groups the points fall in: the test set's labels, and the model's classes
// (for the best-matching class).
struct GroupNames {
    QStringList labels;
    QStringList classes;
};

// Plots map (2 floats per test image; a t-SNE map when tsne, else a PCA one) in groups by
// colouring: a group per label or per model class, ten score deciles, or three by channel
// (unflagged, stroke, shape at threshold); on a plot cleared before.
void plotMap(QCustomPlot* plot, const std::vector<float>& map, bool tsne, const TestSetScores& results,
             const std::vector<uint8_t>& labels, const GroupNames& names, Colouring colouring, double threshold);

// The first of the map's points nearest to pixel, within 12 pixels on the plot; -1 for none.
int nearestPoint(const QCustomPlot* plot, const std::vector<float>& map, size_t points, const QPointF& pixel);

}  // namespace latent_map
