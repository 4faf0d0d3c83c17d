#include "oddigit/training_run.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "oddigit/calibration.h"
#include "oddigit/canvas_calibration.h"
#include "oddigit/error.h"
#include "test_support.h"

namespace oddigit {
namespace {

// MNIST's ones and sevens among its first 3000 training images, as an image folder.
std::string ones_and_sevens() {
    const std::string dir = test::scratch_dir() + "/ones-and-sevens";
    std::vector<std::string> names(10);
    names[1] = "1";
    names[7] = "7";
    test::write_image_folder(dir, test::mnist().train, names, 3000);
    return dir;
}

// One run from its data to its finished model: the data split as the plan asks, seen before
// training; one model saved, calibrated for scans on the held-out images and for drawings on
// them redrawn (as calibrate_all() sets them), its readers' bank with the rescans.
TEST(RunTraining, SplitsAsPlannedAndSavesAModelCalibratedForScansAndDrawings) {
    RunPlan plan;
    plan.params.data_source = DataSource::image_folder(ones_and_sevens(), true);
    plan.params.output_path = test::scratch_dir() + "/ones-and-sevens.safetensors";
    plan.params.gan_epochs = 1;
    plan.params.encoder_epochs = 1;
    plan.params.reader.epochs = 1;
    plan.params.reader.bank_rescans = true;
    plan.params.seed = test::training_seed(5);
    plan.normal = "all";
    plan.held_out = 40;
    plan.limit = 200;
    RunData seen;
    int reports = 0;
    const TrainResult result = run_training(plan, {}, nullptr, [&](const RunData& data) {
        seen = data;
        ++reports;
    });
    ASSERT_EQ(result.outcome, TrainOutcome::Finished);
    EXPECT_EQ(reports, 1);
    EXPECT_EQ(seen.params.normal_classes.class_names(), (std::vector<std::string>{"1", "7"}));
    EXPECT_EQ(seen.split.train.images.size(), 200);
    EXPECT_EQ(seen.split.validation.size(), 40);

    const AnomalyModel saved = AnomalyModel::load(plan.params.output_path);
    const ModelInfo& info = saved.info();
    ASSERT_TRUE(info.canvas.is_set());
    EXPECT_NE(info.training_json.find("\"reader_bank_variations\":true"), std::string::npos) << info.training_json;
    AnomalyModel expected = saved.clone();
    calibrate_all(expected, seen.split.validation, redraw_as_drawn(seen.split.validation));
    const ModelInfo& again = expected.info();
    EXPECT_EQ(info.mnist.stroke, again.mnist.stroke);
    EXPECT_EQ(info.mnist.shape, again.mnist.shape);
    EXPECT_EQ(info.canvas.stroke, again.canvas.stroke);
    EXPECT_EQ(info.canvas.shape, again.canvas.shape);
    EXPECT_EQ(info.canvas.validation_stroke, again.canvas.validation_stroke);
    EXPECT_EQ(result.model.info().canvas.stroke, info.canvas.stroke);
}

// A plan whose classes are not the data's is refused before anything trains or is written.
TEST(RunTraining, RefusesClassesTheDataHasNot) {
    RunPlan plan;
    plan.params.data_source = DataSource::image_folder(ones_and_sevens(), true);
    plan.params.output_path = test::scratch_dir() + "/refused.safetensors";
    plan.normal = "1,cat";
    bool reported = false;
    EXPECT_THROW(run_training(plan, {}, nullptr, [&](const RunData&) { reported = true; }), Error);
    EXPECT_FALSE(reported);
    EXPECT_FALSE(std::filesystem::exists(plan.params.output_path));
}

}  // namespace
}  // namespace oddigit
