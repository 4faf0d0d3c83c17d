#pragma once
// The detail window of one test image in the Explore view: the image, its reconstruction and
// heatmap, its label, score and verdict, and its nearest neighbours in latent space.
#include "explore/test_set_scores.h"
#include "oddigit/image.h"
#include "oddigit/model.h"

class QDialog;
class QWidget;

namespace detail_dialog {

// The window of test image `index` of test, which a model with info scored as detail;
// results are the whole test set's, for the neighbours. Deleted on close; not shown yet.
QDialog* create(QWidget* parent, int index, const oddigit::ImageScore& detail, const oddigit::ModelInfo& info,
                const oddigit::LabelledImages& test, const TestSetScores& results);

}  // namespace detail_dialog
