// Runs the real oddigit-cli binary as a user would.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "oddigit/idx.h"
#include "test_support.h"

namespace oddigit {
namespace {

struct CliRun {
    int exit_code = -1;
    std::string out;
    std::string err;
};

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

CliRun cli(const std::string& arguments) {
    const std::string dir = test::scratch_dir();
    const std::string command =
        std::string(ODDIGIT_CLI) + " " + arguments + " >" + dir + "/out 2>" + dir + "/err </dev/null";
    const int status = std::system(command.c_str());
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(dir + "/out"), slurp(dir + "/err")};
}

void expect_one_line_error(const CliRun& run, const std::string& fragment) {
    EXPECT_NE(run.exit_code, 0);
    EXPECT_EQ(run.err.rfind("oddigit-cli: error: ", 0), 0u) << run.err;
    EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << run.err;
    EXPECT_NE(run.err.find(fragment), std::string::npos) << run.err;
}

TEST(Cli, RejectsBadArguments) {
    expect_one_line_error(cli(""), "subcommand");
    expect_one_line_error(cli("train --out /tmp/x.safetensors"), "--normal");
    expect_one_line_error(cli("train --normal 12 --out " + test::scratch_dir() + "/m.safetensors"), "invalid digit classes");
    expect_one_line_error(cli("score --images x --csv y --mode guess"), "--mode");
    expect_one_line_error(cli("train --normal 3 --out x.safetensors --epochs -2"), "--epochs");
    expect_one_line_error(cli("frobnicate"), "subcommand");
    EXPECT_EQ(cli("--help").exit_code, 0);
}

TEST(Cli, RejectsBadFiles) {
    const std::string dir = test::scratch_dir();
    std::ofstream(dir + "/garbage.idx") << "definitely not an IDX file";
    std::ofstream(dir + "/garbage.safetensors") << "nor a model";
    const std::string model = test::fixture_model_path();
    expect_one_line_error(cli("score --model " + model + " --images " + dir + "/garbage.idx --csv " + dir + "/o.csv"),
                          "not an IDX file");
    expect_one_line_error(cli("score --model " + dir + "/garbage.safetensors --images " + dir + "/garbage.idx --csv " +
                              dir + "/o.csv"),
                          "garbage.safetensors");
    expect_one_line_error(cli("info " + dir + "/garbage.safetensors"), "safetensors");
    expect_one_line_error(cli("info " + dir + "/missing.safetensors"), "cannot");
    expect_one_line_error(cli("eval --model " + model + " --data " + dir), "not found");
}

TEST(Cli, LocalizationRunsOnTheModelsHeldOutImagesWithoutTestLabels) {
    const std::string model = test::fixture_model_path();
    const CliRun run = cli("protocol localization --model " + model + " --on validation --images 300");
    ASSERT_EQ(run.exit_code, 0) << run.err;
    EXPECT_NE(run.out.find("300 validation digits"), std::string::npos) << run.out;
    EXPECT_NE(run.out.find("pixel AUROC"), std::string::npos) << run.out;
    // A different fraction would rebuild a different split: refused, not silently used.
    expect_one_line_error(cli("protocol localization --model " + model + " --on validation --validation-fraction 0.2"),
                          "--validation-fraction");
}

TEST(Cli, CalibratesAModelMadeForAnOlderScore) {
    const std::string dir = test::scratch_dir();
    const std::string model = dir + "/old.safetensors";
    test::copy_as_older_build(test::fixture_model_path(), model);
    const std::string fixture_info = cli("info " + test::fixture_model_path()).out;

    expect_one_line_error(cli("info " + model), "oddigit-cli calibrate --model " + model);
    const CliRun run = cli("calibrate --model " + model);
    ASSERT_EQ(run.exit_code, 0) << run.err;
    EXPECT_NE(run.out.find("calibrated on 6000 held-out images"), std::string::npos) << run.out;
    // Rescoring the held-out images the model was calibrated on gives back its threshold (to
    // float rounding: it was calibrated on another CPU).
    const CliRun info = cli("info " + model);
    ASSERT_EQ(info.exit_code, 0) << info.err;
    const auto threshold = [](const std::string& text) {
        const size_t begin = text.find("threshold:");
        return begin == std::string::npos ? -1.0 : std::atof(text.c_str() + begin + std::strlen("threshold:"));
    };
    EXPECT_GT(threshold(fixture_info), 0);
    EXPECT_NEAR(threshold(info.out), threshold(fixture_info), 1e-4 * threshold(fixture_info));
}

TEST(Cli, ScoresAnIdxFileIntoCsvAndHeatmaps) {
    const std::string dir = test::scratch_dir();
    ImageBatch images = test::test_digits(ClassSet::all(), 12);
    const ImageBatch foreign = test::foreign_images(3, 9);
    images.pixels.insert(images.pixels.end(), foreign.pixels.begin(), foreign.pixels.end());
    write_idx_images(dir + "/in.idx.gz", images);
    const CliRun run = cli("score --model " + test::fixture_model_path() + " --images " + dir + "/in.idx.gz --csv " + dir +
                        "/scores.csv --heatmaps " + dir + "/heat.idx");
    ASSERT_EQ(run.exit_code, 0) << run.err;
    std::ifstream csv(dir + "/scores.csv");
    std::string line;
    std::getline(csv, line);
    EXPECT_EQ(line.rfind("index,score,flagged", 0), 0u) << line;
    std::vector<double> scores;
    int rows = 0, flagged_foreign = 0;
    while (std::getline(csv, line)) {
        std::stringstream fields(line);
        std::string index, score, flagged;
        std::getline(fields, index, ',');
        std::getline(fields, score, ',');
        std::getline(fields, flagged, ',');
        EXPECT_EQ(std::stoi(index), rows);
        if (rows >= 12) flagged_foreign += flagged == "1";
        ++rows;
    }
    EXPECT_EQ(rows, 15);
    EXPECT_EQ(flagged_foreign, 3) << "every foreign image is over the threshold";
    const IdxArray heatmaps = read_idx(dir + "/heat.idx");
    EXPECT_EQ(heatmaps.type, IdxType::Float32);
    EXPECT_EQ(heatmaps.dims, (std::vector<int64_t>{15, 28, 28}));
}

TEST(Cli, TrainsResumesAndDescribesAModel) {
    const std::string dir = test::scratch_dir();
    const std::string model = dir + "/tiny.safetensors";
    const std::string train = "train --normal 0,6 --limit 256 --epochs 1 --batch-size 32 --out " + model;
    CliRun run = cli(train + " --encoder-epochs 1");
    ASSERT_EQ(run.exit_code, 0) << run.err;
    EXPECT_NE(run.out.find("trained in"), std::string::npos) << run.out;
    // Resuming a finished run with one more encoder epoch trains just that epoch.
    run = cli(train + " --resume --encoder-epochs 2");
    ASSERT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(run.out.find("GAN epoch"), std::string::npos) << run.out;
    EXPECT_NE(run.out.find("encoder epoch 2/2"), std::string::npos) << run.out;

    run = cli("info " + model);
    ASSERT_EQ(run.exit_code, 0) << run.err;
    EXPECT_NE(run.out.find("normal classes:  0,6"), std::string::npos) << run.out;

    run = cli("eval --model " + model + " --json " + dir + "/eval.json");
    ASSERT_EQ(run.exit_code, 0) << run.err;
    EXPECT_NE(run.out.find("AUROC"), std::string::npos);
    EXPECT_NE(slurp(dir + "/eval.json").find("\"auroc\""), std::string::npos);
}

}  // namespace
}  // namespace oddigit
