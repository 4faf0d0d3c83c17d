#pragma once
// The Explore view's charts of the test scores: their histogram with the threshold, the ROC
// curve, and the placeholder a plot shows until there is data for it.
#include <QString>
#include <cstdint>
#include <vector>

#include "oddigit/class_set.h"

class QCustomPlot;

namespace score_plots {

// Clears the plot and says in its middle what will appear there.
void showPlaceholder(QCustomPlot* plot, const QString& text);
// Axes (and the legend, when there are graphs) on for a plot with data, off for a placeholder.
void showAxes(QCustomPlot* plot, bool shown);

// The scores' histogram over [low, high], with the threshold as a line: the plot's one item.
void plotHistogram(QCustomPlot* plot, const std::vector<float>& scores, double low, double high, double threshold);
// Moves the histogram's threshold line, once it is plotted (a placeholder text before).
void moveThresholdLine(QCustomPlot* plot, double threshold);

// The ROC curve of the scores, the images whose labels are not normal being the anomalous
// ones, with the AUROC; a placeholder when every digit is normal.
void plotRoc(QCustomPlot* plot, const std::vector<float>& scores, const std::vector<uint8_t>& labels,
             const oddigit::ClassSet& normal);

}  // namespace score_plots
