// Runs the real oddigit-cli binary as a user would.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <algorithm>
#include <cstring>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <random>
#include <thread>
#include <sstream>
#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "oddigit/distributed.h"
#include "oddigit/idx.h"
#include "oddigit/runtime.h"
#include "oddigit/safetensors.h"
#include "cli_run.h"
#include "test_drawings.h"
#include "test_support.h"

namespace oddigit {
namespace {


TEST(Cli, RejectsBadArguments) {
    expect_one_line_error(cli(""), "subcommand");
    expect_one_line_error(cli("train --out /tmp/x.safetensors"), "--normal");
    expect_one_line_error(cli("train --normal 12 --out " + test::scratch_dir() + "/m.safetensors"), "invalid classes '12'");
    expect_one_line_error(cli("score --images x --csv y --mode guess"), "--mode");
    expect_one_line_error(cli("train --normal 3 --out x.safetensors --epochs -2"), "--epochs");
    expect_one_line_error(cli("frobnicate"), "subcommand");
    expect_one_line_error(cli("eval --device gpu"), "--device");
    if (default_device() == "cpu")
        expect_one_line_error(cli("train --normal 1 --device cuda --out " + test::scratch_dir() + "/m.safetensors"),
                              "no CUDA device 'cuda' here");
    EXPECT_EQ(cli("--help").exit_code, 0);
    const CliRun version = cli("--version");
    EXPECT_EQ(version.exit_code, 0);
    EXPECT_EQ(version.out.rfind("oddigit-cli ", 0), 0u) << version.out;
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
    expect_one_line_error(cli("eval --model " + model + " --data " + dir), "oddigit-cli fetch-mnist --dir " + dir);
#ifdef ODDIGIT_HAVE_FETCH
    // Port 1 on the loopback refuses at once: the error names the file and the mirror.
    expect_one_line_error(cli("fetch-mnist --dir " + dir + "/mnist --mirror http://127.0.0.1:1/none"),
                          "could not fetch train-images-idx3-ubyte: http://127.0.0.1:1/none/");
#endif
}

TEST(Cli, LocalizationRunsOnTheModelsHeldOutImagesWithoutTestLabels) {
    const std::string model = test::fixture_model_path();
    const CliRun run = cli("protocol localization --model " + model + " --on validation --images 300");
    ASSERT_EQ(run.exit_code, 0) << run.err;
    EXPECT_NE(run.out.find("validation"), std::string::npos) << run.out;
    EXPECT_NE(run.out.find("300"), std::string::npos) << run.out;
    EXPECT_NE(run.out.find("pixel_auroc"), std::string::npos) << run.out;
    EXPECT_NE(run.out.find("varied_strokes:"), std::string::npos) << run.out;
    EXPECT_NE(run.out.find("erased_strokes:"), std::string::npos) << run.out;
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
#ifdef ODDIGIT_HAVE_IMAGE_IO
    EXPECT_NE(run.out.find("for drawings (the held-out images redrawn"), std::string::npos) << run.out;
#endif
    // Rescoring the held-out images the model was calibrated on gives back its thresholds (to
    // float rounding: it was calibrated on another CPU).
    const CliRun info = cli("info " + model);
    ASSERT_EQ(info.exit_code, 0) << info.err;
#ifdef ODDIGIT_HAVE_IMAGE_IO
    EXPECT_NE(info.out.find("for drawings:    stroke threshold"), std::string::npos) << info.out;
#endif
    for (const std::string key : {"stroke threshold ", "shape threshold "}) {
        const auto threshold = [&](const std::string& text) {
            const size_t begin = text.find(key);
            return begin == std::string::npos ? -1.0 : std::atof(text.c_str() + begin + key.size());
        };
        EXPECT_GT(threshold(fixture_info), 0) << key;
        EXPECT_NEAR(threshold(info.out), threshold(fixture_info), 1e-4 * threshold(fixture_info)) << key;
    }
}

// A model from before the feature density gets one, fitted on the images it learned from,
// when calibrate is given a density weight.
TEST(Cli, CalibrateGivesAnOlderModelAFeatureDensity) {
    const std::string model = test::scratch_dir() + "/without-density.safetensors";
    std::filesystem::copy_file(test::old_model_path(), model);
    EXPECT_NE(cli("info " + model).out.find("density:         none"), std::string::npos);
    const CliRun run = cli("calibrate --model " + model + " --density-weight 0.25");
    ASSERT_EQ(run.exit_code, 0) << run.err;
    const CliRun info = cli("info " + model);
    ASSERT_EQ(info.exit_code, 0) << info.err;
    EXPECT_NE(info.out.find("density:         weight 0.25"), std::string::npos) << info.out;
}

TEST(Cli, DrawnProtocolReportsFlagRatesAndTemplates) {
#ifndef ODDIGIT_HAVE_IMAGE_IO
    GTEST_SKIP() << "the drawn-input protocol needs a build with ODDIGIT_IMAGE_IO";
#endif
    const std::string dir = test::scratch_dir();
    const CliRun run = cli("protocol drawn --samples 4 --json " + dir + "/drawn.json");
    ASSERT_EQ(run.exit_code, 0) << run.err;
    EXPECT_NE(run.out.find("digits_flagged"), std::string::npos) << run.out;
    EXPECT_NE(run.out.find("letters_not_a_digit"), std::string::npos) << run.out;
    const nlohmann::json report = nlohmann::json::parse(slurp(dir + "/drawn.json"));
    EXPECT_GE(report.at("auroc").get<double>(), 0.0);
    EXPECT_LE(report.at("auroc").get<double>(), 1.0);
    EXPECT_GE(report.at("digit_head_auroc").get<double>(), 0.0);
    EXPECT_EQ(report.at("other_digits_auroc").get<double>(), -1.0) << "every digit is normal for the bundled model";
    EXPECT_EQ(report.at("digits").get<int>(), 4 * 14);  // 14 digit templates
    int held_out = 0;
    for (const auto& glyph : report.at("templates")) held_out += glyph.at("held_out").get<bool>();
    EXPECT_GT(held_out, 0);
    // A model without a digit head still runs it; the head's figures say "none".
    const CliRun old = cli("protocol drawn --samples 2 --model " + test::old_model_path() + " --json " + dir + "/old.json");
    ASSERT_EQ(old.exit_code, 0) << old.err;
    EXPECT_EQ(nlohmann::json::parse(slurp(dir + "/old.json")).at("digit_head_auroc").get<double>(), -1.0);
    EXPECT_NE(cli("info " + test::old_model_path()).out.find("not a digit:     none"), std::string::npos);
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
    EXPECT_EQ(line.rfind("index,score,flagged,channel,stroke_ratio,shape_ratio,pixel_residual,feature_residual,not_digit,"
                         "feature_density,realness,reader,best_digit,",
                         0),
              0u)
        << line;
    std::vector<double> scores;
    int rows = 0, flagged_foreign = 0;
    while (std::getline(csv, line)) {
        std::stringstream fields(line);
        std::string index, score, flagged, channel, stroke, shape, pixel, feature, not_digit, density, realness, reader,
            best_class;
        for (std::string* field : {&index, &score, &flagged, &channel, &stroke, &shape, &pixel, &feature, &not_digit,
                                   &density, &realness, &reader, &best_class})
            std::getline(fields, *field, ',');
        EXPECT_EQ(std::stoi(index), rows);
        EXPECT_GE(std::stod(not_digit), 0.0);
        EXPECT_GE(std::stod(density), 0.0);
        EXPECT_GE(std::stod(realness), 0.0);
        EXPECT_TRUE(std::stoi(best_class) >= 0 && std::stoi(best_class) <= 9) << line;
        // Flagged exactly when a channel ratio reaches 1, and so is the fused score; the channel
        // is the verdict's: the shape channel's "not a digit" when it fired (an image has no
        // stroke to be the odd one), else the stroke channel's "odd".
        EXPECT_EQ(flagged == "1", std::stod(stroke) >= 1 || std::stod(shape) >= 1) << line;
        EXPECT_EQ(flagged == "1", std::stod(score) >= 1) << line;
        EXPECT_GE(std::stod(score), 0.0) << line;
        EXPECT_EQ(channel, flagged != "1" ? "" : std::stod(shape) >= 1 ? "shape" : "stroke") << line;
        if (rows >= 12) flagged_foreign += flagged == "1";
        ++rows;
    }
    EXPECT_EQ(rows, 15);
    EXPECT_EQ(flagged_foreign, 3) << "every foreign image is over a threshold";
    const IdxArray heatmaps = read_idx(dir + "/heat.idx");
    EXPECT_EQ(heatmaps.type, IdxType::Float32);
    EXPECT_EQ(heatmaps.dims, (std::vector<int64_t>{15, 28, 28}));
}

// score --strokes says of each drawing file exactly what the Draw view says of those strokes;
// with --csv, the verdict and the stroke to blame join the usual columns.
TEST(Cli, ScoreJudgesDrawingFilesAsTheDrawViewDoes) {
#ifndef ODDIGIT_HAVE_IMAGE_IO
    GTEST_SKIP() << "drawings are rendered through ODDIGIT_IMAGE_IO";
#endif
    const std::string dir = test::scratch_dir() + "/drawings";
    std::filesystem::create_directories(dir);
    std::vector<test::TestDrawing> drawings = test::kLetters;
    drawings.push_back(test::kZigzagSeven);
    drawings.push_back(test::kSeven);
    for (const test::TestDrawing& drawing : drawings) {
        nlohmann::json strokes = nlohmann::json::array();
        for (const test::Polyline& line : drawing.strokes) {
            nlohmann::json points = nlohmann::json::array();
            for (const auto& point : line) points.push_back({point[0], point[1]});
            strokes.push_back(points);
        }
        std::ofstream(dir + "/" + drawing.name + ".json") << nlohmann::json{{"paper", 280}, {"pen", 18}, {"strokes", strokes}};
    }
    const CliRun run = cli("score --strokes " + dir);
    ASSERT_EQ(run.exit_code, 0) << run.err;
    std::map<std::string, std::string> said;
    std::stringstream lines(run.out);
    for (std::string line; std::getline(lines, line);) {
        const size_t gap = line.find(".json  ");
        if (gap == std::string::npos) continue;
        const size_t end = line.find("  ", gap + 7);
        said[line.substr(0, gap)] = line.substr(gap + 7, end - gap - 7);
    }
    ASSERT_EQ(said.size(), drawings.size()) << run.out;
    for (const test::TestDrawing& letter : test::kLetters)
        EXPECT_TRUE(said[letter.name].rfind("Not a digit (closest: ", 0) == 0 || said[letter.name].rfind("An odd ", 0) == 0)
            << letter.name << ": " << said[letter.name];
    EXPECT_EQ(said["seven-zigzag"], "An odd 7 — stroke 3 looks odd");
    EXPECT_EQ(said["seven"], "Looks like a 7");
    EXPECT_NE(run.out.find("the canvas calibration"), std::string::npos) << run.out;

    const CliRun csv = cli("score --strokes " + dir + "/seven-zigzag.json --csv -");
    ASSERT_EQ(csv.exit_code, 0) << csv.err;
    EXPECT_NE(csv.out.find(",verdict,blamed_stroke,source\n"), std::string::npos) << csv.out;
    EXPECT_NE(csv.out.find(",An odd 7 — stroke 3 looks odd,3,seven-zigzag.json\n"), std::string::npos) << csv.out;

    std::ofstream(dir + "/broken.json") << "{\"strokes\": [[[1, 2]]";
    expect_one_line_error(cli("score --strokes " + dir), "broken.json");
    expect_one_line_error(cli("score"), "--images or --strokes");
}

// Without --csv, score says of each image what the app would; --csv - writes the CSV to
// standard output and the summary to standard error; the latent search, which has no
// threshold, flags nothing and leaves the calibrated columns empty.
TEST(Cli, ScorePrintsVerdictsOrWritesTheCsvToStandardOutput) {
    const std::string dir = test::scratch_dir();
    ImageBatch images = test::test_digits(ClassSet::all(), 2);
    const ImageBatch foreign = test::foreign_images(1, 4);
    images.pixels.insert(images.pixels.end(), foreign.pixels.begin(), foreign.pixels.end());
    write_idx_images(dir + "/in.idx", images);
    const std::string score = "score --model " + test::fixture_model_path() + " --images " + dir + "/in.idx";
    const CliRun verdicts = cli(score);
    ASSERT_EQ(verdicts.exit_code, 0) << verdicts.err;
    std::stringstream lines(verdicts.out);
    std::string line;
    std::vector<std::string> said;
    while (std::getline(lines, line))
        if (line.rfind("in.idx", 0) == 0) said.push_back(line);
    ASSERT_EQ(said.size(), 3u) << verdicts.out;
    for (int i = 0; i < 2; ++i) EXPECT_NE(said[i].find("  Looks like a"), std::string::npos) << said[i];
    EXPECT_TRUE(said[2].find("  Not a digit (closest: ") != std::string::npos || said[2].find("  An odd ") != std::string::npos)
        << said[2];
    EXPECT_NE(said[2].find("x  score "), std::string::npos) << said[2];
    EXPECT_NE(said[2].find("  percentile "), std::string::npos) << said[2];

    // As drawings, against the canvas calibration: lower thresholds, so larger ratios.
    const CliRun drawn = cli(score + " --drawn --csv -");
    ASSERT_EQ(drawn.exit_code, 0) << drawn.err;
    EXPECT_NE(drawn.err.find("the canvas calibration"), std::string::npos) << drawn.err;
    const CliRun scanned = cli(score + " --csv -");
    const auto first_score = [](const std::string& csv) {
        const size_t row = csv.find('\n') + 1;
        return std::atof(csv.c_str() + csv.find(',', row) + 1);
    };
    EXPECT_GT(first_score(drawn.out), first_score(scanned.out)) << drawn.out << scanned.out;

    const CliRun piped = cli(score + " --csv -");
    ASSERT_EQ(piped.exit_code, 0) << piped.err;
    EXPECT_EQ(piped.out.rfind("index,score,flagged,channel,", 0), 0u) << piped.out;
    EXPECT_EQ(std::count(piped.out.begin(), piped.out.end(), '\n'), 4) << piped.out;
    EXPECT_NE(piped.err.find("1 flagged"), std::string::npos) << piped.err;

    const CliRun search = cli(score + " --csv - --mode search --search-steps 3");
    ASSERT_EQ(search.exit_code, 0) << search.err;
    std::stringstream rows(search.out);
    std::getline(rows, line);
    while (std::getline(rows, line)) EXPECT_NE(line.find(",,,,,"), std::string::npos) << line;
    EXPECT_NE(search.err.find("none is flagged"), std::string::npos) << search.err;
}

TEST(Cli, TrainsResumesAndDescribesAModel) {
    const std::string dir = test::scratch_dir();
    const std::string model = dir + "/tiny.safetensors";
    const std::string train = "train --normal 0,6 --limit 256 --epochs 1 --batch-size 32 --out " + model;
    CliRun run = cli(train + " --encoder-epochs 1");
    ASSERT_EQ(run.exit_code, 0) << run.err;
    EXPECT_NE(run.out.find("trained in"), std::string::npos) << run.out;
    // Resuming needs the model's path alone (the run's settings are in its resume file); options
    // that must stay as the run had them are refused when they differ, the epochs are taken.
    for (const std::string contradicting :
         {"--seed 9", "--normal 0,5", "--batch-size 64", "--limit 100", "--validation-fraction 0.2"}) {
        run = cli("train --out " + model + " --resume " + contradicting);
        EXPECT_NE(run.exit_code, 0) << contradicting;
        EXPECT_NE(run.err.find(contradicting.substr(0, contradicting.find(' ')) + " contradicts the run being resumed"),
                  std::string::npos) << run.err;
    }
    // Resuming a finished run with one more encoder epoch trains just that epoch.
    run = cli("train --out " + model + " --resume --encoder-epochs 2");
    ASSERT_EQ(run.exit_code, 0) << run.err;
    EXPECT_NE(run.out.find("training on 256 images of classes 0,6"), std::string::npos) << run.out;
    EXPECT_EQ(run.out.find("GAN epoch"), std::string::npos) << run.out;
    EXPECT_NE(run.out.find("encoder epoch 2/2"), std::string::npos) << run.out;
    // The figure beside the encoder's loss is the held-out digits' mean score, and says so.
    EXPECT_NE(run.out.find("held-out mean residual"), std::string::npos) << run.out;

    // A new encoder on the finished GAN: only the encoder phase runs, into another file.
    const std::string again = dir + "/again.safetensors";
    const std::string on_its_gan = "train --normal 0,6 --limit 256 --epochs 1 --encoder-epochs 2 --batch-size 32 --gan-from " + model;
    run = cli(on_its_gan + " --out " + again + " --encoder-corruption 0.25");
    ASSERT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(run.out.find("GAN epoch"), std::string::npos) << run.out;
    EXPECT_NE(run.out.find("encoder epoch 2/2"), std::string::npos) << run.out;
    run = cli(on_its_gan + " --out " + model);
    EXPECT_NE(run.exit_code, 0);
    EXPECT_NE(run.err.find("also the output"), std::string::npos) << run.err;

    run = cli("info " + again);
    ASSERT_EQ(run.exit_code, 0) << run.err;
    EXPECT_NE(run.out.find("\"encoder_corruption\":0.25"), std::string::npos) << run.out;
    run = cli("info " + model);
    ASSERT_EQ(run.exit_code, 0) << run.err;
    EXPECT_NE(run.out.find("normal 0,6"), std::string::npos) << run.out;
#ifdef ODDIGIT_HAVE_IMAGE_IO
    EXPECT_NE(run.out.find("for drawings:    stroke threshold"), std::string::npos) << run.out;
#endif

    run = cli("eval --model " + model + " --json " + dir + "/eval.json");
    ASSERT_EQ(run.exit_code, 0) << run.err;
    EXPECT_NE(run.out.find("per_class:"), std::string::npos) << run.out;
    EXPECT_NE(slurp(dir + "/eval.json").find("\"auroc\""), std::string::npos);
}


// Starts `oddigit-cli arguments`, waits until it reports a finished epoch and resume_file
// exists, then kills it with SIGKILL after `delay` more. Returns true when the process
// finished by itself first. (Waiting for the file too keeps the kills after the first save
// where saving is slow, as under the sanitizers, where it takes longer than the delays.)
bool run_and_kill(const std::string& arguments, const std::string& resume_file, std::chrono::milliseconds delay) {
    const std::string log = test::scratch_dir() + "/out";
    const pid_t pid = fork();
    if (pid == 0) {
        const std::string command = std::string("exec ") + ODDIGIT_CLI + " " + arguments + " >" + log + " 2>&1 </dev/null";
        execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    int status = 0;
    const auto exited = [&] { return waitpid(pid, &status, WNOHANG) == pid; };
    const auto poll = std::chrono::milliseconds(5);
    while (slurp(log).find(" epoch ") == std::string::npos || !std::filesystem::exists(resume_file)) {
        if (exited()) return WIFEXITED(status) && WEXITSTATUS(status) == 0;
        std::this_thread::sleep_for(poll);
    }
    for (const auto until = std::chrono::steady_clock::now() + delay; std::chrono::steady_clock::now() < until;) {
        if (exited()) return WIFEXITED(status) && WEXITSTATUS(status) == 0;
        std::this_thread::sleep_for(poll);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return false;
}


// A training run killed with SIGKILL at random moments, and resumed each time, ends with
// exactly the model of a run never interrupted; every file it left at each kill is whole.
TEST(Cli, TrainingKilledAtRandomMomentsAndResumedEndsWithTheUninterruptedModel) {
    const std::string dir = test::scratch_dir();
    const std::string settings = "train --normal 0,6 --limit 320 --epochs 3 --encoder-epochs 2 --batch-size 32 --threads 1";
    const CliRun straight = cli(settings + " --out " + dir + "/straight.safetensors");
    ASSERT_EQ(straight.exit_code, 0) << straight.err;

    const std::string model = dir + "/killed.safetensors";
    const std::string resume = dir + "/killed.resume.safetensors";
    std::mt19937 random(test::training_seed(5));
    // Each kill falls at a random moment after the run's first finished epoch: inside an
    // epoch, inside a save, or between the two.
    std::uniform_int_distribution<int> delay_ms(0, 400);
    int kills = 0, resumed = 0;
    bool finished = false;
    while (!finished && kills < 4) {
        const bool resumable = std::filesystem::exists(resume);
        resumed += resumable;
        finished = run_and_kill(resumable ? "train --threads 1 --out " + model + " --resume" : settings + " --out " + model, resume,
                                std::chrono::milliseconds(delay_ms(random)));
        if (finished) break;
        ++kills;
        for (const std::string& written : {model, resume})
            if (std::filesystem::exists(written)) EXPECT_NO_THROW(safetensors::read(written)) << "torn after kill " << kills;
    }
    if (!finished) {
        const CliRun last = cli(std::filesystem::exists(resume) ? "train --threads 1 --out " + model + " --resume"
                                                                : settings + " --out " + model);
        ASSERT_EQ(last.exit_code, 0) << last.err;
    }
    test::print_measured("kills before the run finished", kills);
    test::print_measured("runs that resumed", resumed);
    EXPECT_GE(kills, 3) << "the run finished before it could be killed often enough";
    EXPECT_GE(resumed, 2) << "too few kills fell after the first epoch";
    EXPECT_EQ(tensor_bytes(model), tensor_bytes(dir + "/straight.safetensors"));
    const CliRun a = cli("info " + model), b = cli("info " + dir + "/straight.safetensors");
    const auto thresholds = [](const std::string& text) {
        const std::size_t start = text.find("stroke threshold");
        return start == std::string::npos ? std::string() : text.substr(start, text.find('\n', start) - start);
    };
    ASSERT_FALSE(thresholds(a.out).empty()) << a.out;
    EXPECT_EQ(thresholds(a.out), thresholds(b.out));
}

}  // namespace
}  // namespace oddigit
