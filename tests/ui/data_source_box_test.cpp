// Training on an image folder from the app: the Train view's data box and class picker, the
// model it makes, and the Draw and Explore views with that model's classes. Run after the Train
// view's tests in one process (training_tests_main.cpp): the app's second training.
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <string>
#include <vector>

#include "draw_view.h"
#include "drawing_canvas.h"
#include "explore/explore_view.h"
#include "main_window.h"
#include "oddigit/image_folder.h"
#include "oddigit/model.h"
#include "test_support.h"
#include "train_view.h"
#include "training_worker.h"
#include "ui_test_support.h"

using namespace ui_test;

class DataSourceBoxTest : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { openTestWindow(window_, "data_source_box"); }

    // A folder of named classes (MNIST's 0s and 1s as "ring" and "stick"): the form offers its
    // classes, the model learns their names and its test folder, and Explore scores that folder,
    // whose unknown class ("seven") is the anomaly.
    void trainingOnAnImageFolderKeepsItsClassesForExplore() {
        QTemporaryDir dir;
        const std::string train = dir.filePath("train").toStdString(), test = dir.filePath("test").toStdString();
        oddigit::test::write_image_folder(train, oddigit::test::mnist().train, {"ring", "stick", "", "", "", "", "", "", "", ""}, 800);
        oddigit::test::write_image_folder(test, oddigit::test::mnist().test, {"ring", "stick", "", "", "", "", "", "seven", "", ""}, 300);
        const QString path = dir.filePath("folder.safetensors");
        TrainView* view = ui_test::prepareRun(*window_, path, 1, 1, 256);
        view->setImageFolder(QString::fromStdString(train), true, QString::fromStdString(test));
        QStringList offered;
        auto* picker = view->findChild<QWidget*>("normalClasses");
        QVERIFY(picker);
        for (QCheckBox* box : picker->findChildren<QCheckBox*>())
            if (box->isVisibleTo(picker)) offered << box->text();
        QCOMPARE(offered, QStringList({"ring", "stick"}));
        view->setNormalClasses("all");
        QSignalSpy finished(&view->worker(), &TrainingWorker::finished);
        view->start();
        QVERIFY(finished.wait(120000));
        QVERIFY2(finished.first().at(0).toBool(), qPrintable(finished.first().at(2).toString()));
        const oddigit::ModelInfo trained = oddigit::AnomalyModel::load(path.toStdString()).info();
        QCOMPARE(trained.normal_classes.class_names(), (std::vector<std::string>{"ring", "stick"}));
        QVERIFY(trained.test_data == oddigit::DataSource::image_folder(test, true));

        QVERIFY(window_->openModel(path, true));
        DrawView* draw = window_->drawView();
        draw->canvas()->clear();
        settle(draw);
        QCOMPARE(draw->verdictText(), QString("Draw a ring or stick"));
        drawStroke(draw->canvas(), kSevenStem);
        settle(draw);
        const QString verdict = draw->verdictText();
        QVERIFY2(verdict.contains("ring") || verdict.contains("stick"), qPrintable(verdict));
        ExploreView* explore = window_->exploreView();
        QSignalSpy scored(explore, &ExploreView::scoringFinished);
        explore->scoreTestSet();
        QVERIFY(scored.wait(120000));
        QStringList labels;
        auto* labelFilter = explore->findChild<QComboBox*>("labelFilter");
        QVERIFY(labelFilter);
        for (int i = 0; i < labelFilter->count(); ++i) labels << labelFilter->itemText(i);
        QCOMPARE(labels, QStringList({"All labels", "Label ring", "Label seven", "Label stick"}));
        view->setImageFolder({});
    }

    void cleanupTestCase() { window_.reset(); }

private:
    std::unique_ptr<MainWindow> window_;
};

std::unique_ptr<QObject> makeDataSourceBoxTest() { return std::make_unique<DataSourceBoxTest>(); }

#include "data_source_box_test.moc"
