// Training on image folders (`train --images`), testing on them (`eval --images`), and what a
// model of a folder's classes refuses.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli_run.h"
#include "oddigit/idx.h"
#include "test_support.h"

namespace oddigit {
namespace {

using json = nlohmann::json;

const std::vector<std::string> kDigitNames = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};

// The first count images of data as MNIST's IDX files of the given part ("train" or "t10k").
void write_idx_part(const std::string& dir, const std::string& part, const LabelledImages& data, int64_t count) {
    IdxArray images{IdxType::UInt8, {count, kImageSide, kImageSide}, {}, {}};
    for (int64_t i = 0; i < count * kImagePixels; ++i)
        images.u8.push_back(static_cast<uint8_t>(std::lround(data.images.pixels[i] * 255.0f)));
    IdxArray labels{IdxType::UInt8, {count}, {data.labels.begin(), data.labels.begin() + count}, {}};
    write_idx(dir + "/" + part + "-images-idx3-ubyte", images);
    write_idx(dir + "/" + part + "-labels-idx1-ubyte", labels);
}

const std::string kShortTraining = "--epochs 1 --encoder-epochs 1 --batch-size 32 --threads 1 --seed 3";

// The same MNIST images as IDX files and as a folder of image files taken as they are train
// the same networks and evaluate to the same figures: a folder is only another way in.
TEST(CliImageFolder, AFolderOfMnistTrainsTheModelItsIdxFilesTrain) {
    const std::string dir = test::scratch_dir();
    const int64_t train_count = 1500, test_count = 400;
    std::filesystem::create_directories(dir + "/idx");
    write_idx_part(dir + "/idx", "train", test::mnist().train, train_count);
    write_idx_part(dir + "/idx", "t10k", test::mnist().test, test_count);
    test::write_image_folder(dir + "/train", test::mnist().train, kDigitNames, train_count);
    test::write_image_folder(dir + "/test", test::mnist().test, kDigitNames, test_count);

    const CliRun from_idx = cli("train --normal 3,5 " + kShortTraining + " --data " + dir + "/idx --out " + dir + "/idx.safetensors");
    ASSERT_EQ(from_idx.exit_code, 0) << from_idx.err;
    const CliRun from_folder = cli("train --normal 3,5 " + kShortTraining + " --images " + dir + "/train --as-is --test-images " +
                                   dir + "/test --out " + dir + "/folder.safetensors");
    ASSERT_EQ(from_folder.exit_code, 0) << from_folder.err;
    EXPECT_EQ(tensor_bytes(dir + "/folder.safetensors"), tensor_bytes(dir + "/idx.safetensors"));
    const CliRun info = cli("info " + dir + "/folder.safetensors");
    EXPECT_NE(info.out.find("classes:         10 (0,1,2,3,4,5,6,7,8,9), normal 3,5"), std::string::npos) << info.out;
    EXPECT_NE(info.out.find("learnt from:     images-as-is " + dir + "/train; tested on images-as-is " + dir + "/test"),
              std::string::npos)
        << info.out;

    const CliRun idx_eval = cli("eval --model " + dir + "/idx.safetensors --data " + dir + "/idx --json " + dir + "/idx.json");
    const CliRun folder_eval =
        cli("eval --model " + dir + "/folder.safetensors --images " + dir + "/test --as-is --json " + dir + "/folder.json");
    ASSERT_EQ(idx_eval.exit_code, 0) << idx_eval.err;
    ASSERT_EQ(folder_eval.exit_code, 0) << folder_eval.err;
    const json by_idx = json::parse(slurp(dir + "/idx.json")), by_folder = json::parse(slurp(dir + "/folder.json"));
    EXPECT_EQ(by_folder.at("test_images"), test_count);
    EXPECT_DOUBLE_EQ(by_folder.at("auroc").get<double>(), by_idx.at("auroc").get<double>());
    ASSERT_EQ(by_folder.at("per_class").size(), 10u);
    for (int c = 0; c < 10; ++c) {
        EXPECT_EQ(by_folder["per_class"][c].at("class"), std::to_string(c));
        EXPECT_EQ(by_folder["per_class"][c].at("normal"), c == 3 || c == 5);
    }
}

// A folder of named classes: the model keeps the names (a flat folder's is its own), the test folder's classes are matched
// by name (an unknown one is an anomaly), and what it cannot do is refused in one line.
TEST(CliImageFolder, NamedClassesAreKeptMatchedAndChecked) {
    const std::string dir = test::scratch_dir();
    // Training sees rings and sticks; the test folder has sevens besides.
    test::write_image_folder(dir + "/all", test::mnist().train, {"ring", "stick", "", "", "", "", "", "", "", ""}, 1500);
    test::write_image_folder(dir + "/test", test::mnist().test, {"ring", "stick", "", "", "", "", "", "seven", "", ""}, 600);

    expect_one_line_error(cli("train --normal cat --images " + dir + "/all --out " + dir + "/m.safetensors"), "cat");
    const std::string model = dir + "/named.safetensors";
    const CliRun train = cli("train --normal all " + kShortTraining + " --images " + dir + "/all --as-is --out " + model);
    ASSERT_EQ(train.exit_code, 0) << train.err;
    EXPECT_NE(cli("info " + model).out.find("classes:         2 (ring,stick), normal all"), std::string::npos);

    const CliRun eval = cli("eval --model " + model + " --images " + dir + "/test --as-is --json " + dir + "/eval.json");
    ASSERT_EQ(eval.exit_code, 0) << eval.err;
    const json report = json::parse(slurp(dir + "/eval.json"));
    ASSERT_EQ(report.at("per_class").size(), 3u);
    std::map<std::string, bool> normal;
    for (const json& c : report["per_class"]) normal[c.at("class")] = c.at("normal");
    EXPECT_EQ(normal, (std::map<std::string, bool>{{"ring", true}, {"seven", false}, {"stick", true}}));
    EXPECT_FALSE(report.at("auroc").is_null());

    // A class's own folder is a flat folder: one class, named by it, for a one-class model.
    const CliRun one_class = cli("train --normal all " + kShortTraining + " --images " + dir + "/all/ring --as-is --out " +
                                 dir + "/ring.safetensors");
    ASSERT_EQ(one_class.exit_code, 0) << one_class.err;
    EXPECT_NE(cli("info " + dir + "/ring.safetensors").out.find("classes:         1 (ring), normal all"), std::string::npos);

    expect_one_line_error(cli("eval --model " + model), "not MNIST's digits");
    expect_one_line_error(cli("train --normal all --images " + dir + "/missing --out " + model), "does not exist");
}

// The one-class protocol on a folder runs each class asked for by name, reports it by name, and
// refuses a name the folder has not.
TEST(CliImageFolder, TheOneClassProtocolRunsTheNamedClasses) {
    const std::string dir = test::scratch_dir();
    test::write_image_folder(dir + "/train", test::mnist().train, {"ring", "stick", "", "", "", "", "", "", "", ""}, 1200);
    test::write_image_folder(dir + "/test", test::mnist().test, {"ring", "stick", "", "", "", "", "", "", "", ""}, 400);
    const std::string protocol = "protocol one-class --images " + dir + "/train --test-images " + dir +
                                 "/test --as-is --epochs 1 --encoder-epochs 1 --batch-size 32 --threads 1 --seeds 2";

    const CliRun run = cli(protocol + " --digits stick --json " + dir + "/one-class.json");
    ASSERT_EQ(run.exit_code, 0) << run.err;
    EXPECT_NE(run.out.find("class stick seed 2: AUROC"), std::string::npos) << run.out;
    const json report = json::parse(slurp(dir + "/one-class.json"));
    EXPECT_EQ(report.at("data"), "images-as-is " + dir + "/train");
    ASSERT_EQ(report.at("digits").size(), 1u);
    const json& stick = report["digits"][0];
    EXPECT_EQ(stick.at("class"), "stick");
    ASSERT_EQ(stick.at("runs").size(), 1u);
    EXPECT_EQ(stick["runs"][0].at("seed"), 2);
    const double auroc = stick["runs"][0].at("auroc").get<double>();
    EXPECT_GT(auroc, 0.0);
    EXPECT_LE(auroc, 1.0);
    EXPECT_DOUBLE_EQ(stick.at("mean").get<double>(), auroc);
    EXPECT_DOUBLE_EQ(report.at("mean_auroc").get<double>(), auroc);

    expect_one_line_error(cli(protocol + " --digits stick,cat"), "no class 'cat' here; the classes are ring, stick");
}

}  // namespace
}  // namespace oddigit
