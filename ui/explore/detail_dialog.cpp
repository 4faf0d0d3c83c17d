#include "explore/detail_dialog.h"

#include <QDialog>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <qcustomplot.h>

#include "image_conversions.h"
#include "oddigit/latent.h"
#include "oddigit/score.h"
#include "oddigit/verdict.h"

namespace detail_dialog {

namespace {
// Neighbours shown in the detail window.
constexpr int kNeighbours = 8;
}  // namespace

QDialog* create(QWidget* parent, int index, const oddigit::ImageScore& detail, const oddigit::ModelInfo& info,
                const oddigit::LabelledImages& test, const TestSetScores& results) {
    auto* dialog = new QDialog(parent);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setWindowTitle(QObject::tr("Test image %1").arg(index));
    auto* grid = new QGridLayout(dialog);
    const QImage heat = image_conversions::overBlack(
        image_conversions::heatImage(detail.heatmap, info.mnist.heat_full_scale, image_conversions::chosenColormap()));
    const QList<QPair<QString, QPixmap>> panels = {
        {QObject::tr("Original"), image_conversions::thumbnail(test.images.image(index), 5)},
        {QObject::tr("Reconstruction"), QPixmap::fromImage(image_conversions::toQImage(detail.reconstruction).scaled(140, 140))},
        {QObject::tr("Heatmap"), QPixmap::fromImage(heat.scaled(140, 140))}};
    for (int i = 0; i < panels.size(); ++i) {
        auto* picture = new QLabel;
        picture->setPixmap(panels[i].second);
        grid->addWidget(picture, 0, i);
        grid->addWidget(new QLabel(panels[i].first), 1, i, Qt::AlignHCenter);
    }
    const QString verdict = QString::fromStdString(oddigit::verdict_text(info, oddigit::judge(detail)));
    grid->addWidget(new QLabel(QObject::tr("Label %1 · %2 · stroke %3×, shape %4× their thresholds")
                                   .arg(test.labels[index]).arg(verdict)
                                   .arg(detail.stroke_ratio, 0, 'f', 2).arg(detail.shape_ratio, 0, 'f', 2)),
                    2, 0, 1, 3);
    auto* neighbours = new QHBoxLayout;
    for (int n : oddigit::nearest_codes(results.codes, results.latentDim, index, kNeighbours)) {
        auto* picture = new QLabel;
        picture->setPixmap(image_conversions::thumbnail(test.images.image(n), 2));
        picture->setToolTip(QObject::tr("test image %1 · label %2 · score %3").arg(n).arg(test.labels[n]).arg(results.scores[n], 0, 'g', 3));
        neighbours->addWidget(picture);
    }
    grid->addWidget(new QLabel(QObject::tr("Nearest in latent space:")), 3, 0, 1, 3);
    grid->addLayout(neighbours, 4, 0, 1, 3);
    return dialog;
}

}  // namespace detail_dialog
