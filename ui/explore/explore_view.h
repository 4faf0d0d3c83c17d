#pragma once
// Explore a test set through the model (MNIST's, or the test folder a model of an image folder
// records): a latent map, the flagged gallery, the
// score histogram, the ROC curve, per-image details and latent interpolation.
#include <QStringList>
#include <QWidget>
#include <memory>
#include <optional>

#include "background_job.h"
#include "explore/flagged_list_model.h"
#include "explore/test_set_scores.h"
#include "oddigit/latent.h"
#include "oddigit/mnist.h"
#include "oddigit/model.h"

class QComboBox;
class QDialog;
class QCustomPlot;
class QLabel;
class QListView;
class QProgressBar;
class QPushButton;
class QSlider;

class ExploreView : public QWidget {
    Q_OBJECT
public:
    explicit ExploreView(QWidget* parent = nullptr);
    ~ExploreView() override;

    // Switches to model: a pass or detail still running for the previous one is cancelled
    // and whatever it was about to show is dropped.
    void setModel(std::shared_ptr<const oddigit::AnomalyModel> model);
    // Scores the test set in the background (loads it first if needed: MNIST's through the
    // download dialog).
    void scoreTestSet();
    void cancelScoring();
    bool isScoring() const { return scoring_; }
    int flaggedCount() const { return static_cast<int>(gallery_.rows().size()); }
    double currentThreshold() const { return threshold_; }
    void setThreshold(double threshold);
    // Writes the flagged list as CSV. Returns an empty string or the error.
    QString exportFlagged(const QString& path) const;
    // Opens the detail window of test image `index` once it is scored in the background.
    void showDetail(int index);
    // The t-SNE map's settings for the maps computed from now on (the thread count is the
    // app's to set). The defaults suit the 10,000 test images.
    void setTsneParams(const oddigit::TsneParams& params) { tsneParams_ = params; }

signals:
    void statusMessage(const QString& text);
    void scoringFinished();
    // A background pass or detail failed; the view keeps what it showed.
    void failed(const QString& message);
    // The t-SNE map is shown, computed now or read from the cache of this model's maps.
    void tsneMapReady(bool fromCache);
    // A detail window is open (tests).
    void detailShown(QDialog* dialog);

protected:
    // Shown with a model whose test-set scores it lacks and MNIST at hand, the view scores
    // the test set by itself (in the background, cancellable); without MNIST its first showing
    // offers the download dialog at once, and the Score button offers it again. A model
    // opened while the view shows waits for the button.
    void showEvent(QShowEvent* event) override;

private slots:
    void refreshFlagged();
    void refreshMap();
    // Shows the t-SNE map: from the cache, else computed in the background.
    void showTsne();
    void interpolateSelection();

private:
    // The latent map, the flagged gallery and the score plots, side by side in a splitter.
    QWidget* createPanels();
    // The buttons, filters, background jobs and map clicks to the view; the two buttons are the filter row's.
    void connectSignals(QPushButton* exportButton, QPushButton* interpolateButton);
    void setScoring(bool scoring);
    // The test set's class names, for the label filter, the tooltips and the CSV.
    void setTestClasses(const QStringList& names);
    void onScored(TestSetScores results);
    void openDetail(int index, const oddigit::ImageScore& detail);
    int nearestOnMap(const QPointF& pixel) const;
    // The map the user chose, or the PCA one while the t-SNE map is not ready.
    const std::vector<float>& shownMap() const;

    std::shared_ptr<const oddigit::AnomalyModel> model_;
    // Loaded by the first pass, in its thread; dropped when a model of another test set comes.
    std::shared_ptr<const oddigit::LabelledImages> test_;  // the test set, loaded by the first pass
    std::optional<oddigit::DataSource> testSource_;  // what test_ is (or will be) loaded from; none: nothing to score
    bool scoresMnist() const { return testSource_ && !testSource_->is_folder(); }
    QStringList testClasses_;  // the names of test_'s labels
    TestSetScores results_;
    bool scoring_ = false;
    bool computingTsne_ = false;
    bool offeredMnist_ = false;
    oddigit::TsneParams tsneParams_;  // the download dialog was offered on a showing without MNIST
    double threshold_ = 0;
    QPointF mapPressedAt_;
    double sliderMin_ = 0, sliderMax_ = 1;
    FlaggedListModel gallery_;

    QPushButton* scoreButton_ = nullptr;
    QPushButton* cancelButton_ = nullptr;
    QProgressBar* progress_ = nullptr;
    QComboBox* colourBy_ = nullptr;
    QComboBox* mapKind_ = nullptr;
    QLabel* mapStatus_ = nullptr;
    QComboBox* labelFilter_ = nullptr;
    QComboBox* channelFilter_ = nullptr;
    QSlider* thresholdSlider_ = nullptr;
    QLabel* thresholdLabel_ = nullptr;
    QLabel* summary_ = nullptr;
    QCustomPlot* map_ = nullptr;
    QCustomPlot* histogram_ = nullptr;
    QCustomPlot* roc_ = nullptr;
    QListView* galleryView_ = nullptr;
    QLabel* hoverPreview_ = nullptr;
    QLabel* interpolation_ = nullptr;
    // Declared last: the jobs stop their threads first when the view goes.
    BackgroundJob pass_{"explore", JobKind::Batch};
    BackgroundJob detail_{"explore-detail", JobKind::LiveScoring};
    BackgroundJob tsne_{"explore-tsne", JobKind::Batch};
};
