// oddigit-cli: training, scoring, evaluation and protocols on the command line.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <map>

#include "commands.h"
#include "oddigit/error.h"
#include "oddigit/runtime.h"
#include "oddigit/train.h"

namespace {

using namespace oddigit;

void add_device_option(CLI::App& command, std::string& device) {
    command.add_option("--device", device, "cpu, cuda (cuda:N for GPU N) or auto")
        ->check(CLI::IsMember({"cpu", "cuda", "auto"}) | CLI::Validator(
                    [](const std::string& value) {
                        return value.rfind("cuda:", 0) == 0 && value.size() > 5 &&
                                       value.find_first_not_of("0123456789", 5) == std::string::npos
                                   ? std::string()
                                   : std::string("not cuda:N");
                    },
                    "cuda:N"))
        ->transform([](std::string value) { return value == "auto" ? default_device() : value; })
        ->capture_default_str();
}

void add_train_settings(CLI::App& command, TrainParams& params) {
    command.add_option("--epochs", params.gan_epochs,
                       "GAN epochs (0: " + std::to_string(kSmallSetEpochs) + " under " + std::to_string(kSmallTrainingSet) +
                           " training images, else " + std::to_string(kLargeSetEpochs) + ")")
        ->check(CLI::Range(0, 100000))
        ->capture_default_str();
    command.add_option("--encoder-epochs", params.encoder_epochs, "encoder epochs (0: as --epochs 0)")
        ->check(CLI::Range(0, 100000))
        ->capture_default_str();
    command.add_option("--batch-size", params.batch_size, "images per step")->check(CLI::Range(2, 65536))->capture_default_str();
    command.add_option("--lr", params.gan_learning_rate, "GAN learning rate (Adam)")->check(CLI::PositiveNumber)->capture_default_str();
    command.add_option("--encoder-lr", params.encoder_learning_rate, "encoder learning rate (Adam)")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    command.add_option("--encoder-corruption", params.encoder_corruption,
                       "share of the encoder's training digits given a fragment of another digit, added or "
                       "wiped; it learns to give back the clean digit")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    command.add_option("--kappa", params.kappa, "weight of the discriminator-feature residual")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    command.add_option("--digit-weight", params.digit_weight, "weight of the not-a-digit term in the score")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    command.add_option("--density-weight", params.density_weight, "weight of the feature-density term in the score")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    command.add_option("--realness-weight", params.realness_weight,
                       "weight of the reconstruction's fakeness in the score's shape channel")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    command.add_option("--latent-dim", params.architecture.latent_dim, "length of z")->check(CLI::Range(1, 1024))->capture_default_str();
    command.add_option("--width", params.architecture.width, "channels of the first conv layer")
        ->check(CLI::Range(1, 512))
        ->capture_default_str();
    add_device_option(command, params.device);
}

// Accepted before the subcommand and after it, as users type it either way.
void add_threads_option(CLI::App& command, int& threads) {
    command.add_option("--threads", threads, "CPU threads for LibTorch (0: $OMP_NUM_THREADS if set, else all cores; training tunes the count to the machine's load, a fixed count gives reproducible weights)")->check(CLI::NonNegativeNumber);
}

const std::map<std::string, ScoreMode> kScoreModes = {{"encoder", ScoreMode::Encoder}, {"search", ScoreMode::LatentSearch}};

void add_score_settings(CLI::App& command, ScoreParams& params) {
    command.add_option("--mode", params.mode, "encoder (fast, f-AnoGAN) or search (AnoGAN latent search)")
        ->transform(CLI::CheckedTransformer(kScoreModes, CLI::ignore_case));
    command.add_option("--search-steps", params.search_steps, "latent-search iterations")
        ->check(CLI::Range(1, 100000))
        ->capture_default_str();
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Oddigit: a GAN that learns handwritten digits and points at the odd strokes."};
    app.set_version_flag("--version", std::string("oddigit-cli ") + ODDIGIT_VERSION);
    app.require_subcommand(1);
    int threads = 0;
    add_threads_option(app, threads);

    cli::TrainOptions train;
    CLI::App* train_command = app.add_subcommand("train", "train a model on normal MNIST digits");
    train_command->add_option("--data", train.data_dir, "folder with the four MNIST files (default: " + default_mnist_dir() + ")");
    train_command->add_option("--normal", train.normal, "normal classes: a digit, a list like 0,2,5, or all")->required();
    train_command->add_option("--out", train.params.output_path,
                              "model file to write (.safetensors); required on rank 0, other ranks write their copy only when given it (ranks on one machine: each its own file)");
    train_command->add_option("--seed", train.params.seed, "random seed")->capture_default_str();
    train_command->add_flag("--resume", train.params.resume, "continue from OUT's .resume.safetensors");
    train_command->add_option("--gan-from", train.params.gan_from,
                              "keep this finished model's GAN (trained with the same settings) and train only a new "
                              "encoder, written to OUT")
        ->check(CLI::ExistingFile);
    train_command->add_option("--validation-fraction", train.validation_fraction, "share of normal images held out")
        ->check(CLI::Range(0.01, 0.5))
        ->capture_default_str();
    train_command->add_option("--limit", train.limit, "use at most this many training images")->check(CLI::NonNegativeNumber);
    add_threads_option(*train_command, threads);
    add_train_settings(*train_command, train.params);
    train_command->add_option("--world-size", train.world_size, "processes training together (default: $WORLD_SIZE, else 1)")
        ->check(CLI::PositiveNumber);
    train_command->add_option("--rank", train.rank, "this process among them, from 0 (default: $RANK, else 0)")
        ->check(CLI::NonNegativeNumber);
    train_command->add_option("--master", train.master,
                              "HOST:PORT where rank 0 meets the others (default: $MASTER_ADDR:$MASTER_PORT, else 127.0.0.1:29500)");

    cli::ScoreOptions score;
    CLI::App* score_command = app.add_subcommand("score", "score images: an IDX file, a PNG/JPEG, or a folder of them");
    score_command->add_option("--model", score.model_path, "model file (default: the bundled model)");
    score_command->add_option("--images", score.images_path, "IDX file (plain or .gz), image file or folder")->required();
    score_command->add_option("--csv", score.csv_path,
                              "CSV to write (index,score,flagged,channel,...; - for standard output); without it, "
                              "one readable line per image");
    score_command->add_option("--heatmaps", score.heatmaps_path, "float32 IDX file of N x 28 x 28 heatmaps to write");
    score_command->add_option("--pictures", score.pictures_dir, "folder to write one PNG per image into: input, reconstruction, heatmap")
        ->check(CLI::ExistingDirectory);
    score_command->add_flag_function(
        "--drawn", [&](int64_t) { score.params.input = InputKind::Drawn; },
        "the images were drawn on a canvas (round pen, as the app's Draw view): measure them against the model's "
        "canvas calibration, as the Draw view does");
    add_threads_option(*score_command, threads);
    add_score_settings(*score_command, score.params);
    add_device_option(*score_command, score.device);

    cli::EvalOptions eval;
    CLI::App* eval_command = app.add_subcommand("eval", "score the MNIST test set and report AUROC");
    eval_command->add_option("--model", eval.model_path, "model file (default: the bundled model)");
    eval_command->add_option("--data", eval.data_dir, "folder with the four MNIST files");
    eval_command->add_option("--json", eval.json_path, "write the results as JSON");
    add_threads_option(*eval_command, threads);
    add_score_settings(*eval_command, eval.params);
    add_device_option(*eval_command, eval.device);

    cli::ProtocolOptions protocol;
    CLI::App* protocol_command = app.add_subcommand("protocol", "run a standard evaluation protocol");
    protocol_command->require_subcommand(1);
    CLI::App* one_class = protocol_command->add_subcommand(
        "one-class", "train on each digit alone, test on all 10,000 test images (others are anomalies)");
    one_class->add_option("--data", protocol.data_dir, "folder with the four MNIST files");
    one_class->add_option("--digits", protocol.digits, "digits to run, e.g. 0-9 or 1,3")->capture_default_str();
    one_class->add_option("--seeds", protocol.seeds, "seeds to run for each digit, e.g. 1,2,3")
        ->delimiter(',')
        ->check(CLI::Range(1, 1000000))
        ->capture_default_str();
    one_class->add_option("--json", protocol.json_path, "write the results as JSON");
    add_threads_option(*one_class, threads);
    add_train_settings(*one_class, protocol.params);

    cli::LeaveOneOutOptions leave_one_out;
    CLI::App* leave_one_out_command = protocol_command->add_subcommand(
        "leave-one-out", "each digit in turn is the anomaly, the other nine are normal (GANomaly's split)");
    leave_one_out_command->add_option("--data", leave_one_out.data_dir, "folder with the four MNIST files");
    leave_one_out_command->add_option("--digits", leave_one_out.digits, "anomaly digits to run, e.g. 0-9 or 1,3")
        ->capture_default_str();
    leave_one_out_command->add_option("--seed", leave_one_out.params.seed, "random seed of the split and the training")
        ->capture_default_str();
    leave_one_out_command->add_option("--json", leave_one_out.json_path, "write the results as JSON");
    add_threads_option(*leave_one_out_command, threads);
    add_train_settings(*leave_one_out_command, leave_one_out.params.train);

    cli::LocalizationOptions localization;
    CLI::App* localization_command = protocol_command->add_subcommand(
        "localization", "add a random foreign stroke to digits the model knows; how well do heatmaps find it?");
    localization_command->add_option("--model", localization.model_path, "model file (default: the bundled model)");
    localization_command->add_option("--data", localization.data_dir, "folder with the four MNIST files");
    localization_command->add_option("--images", localization.params.images, "stroked test digits")
        ->check(CLI::Range(1, 10000))
        ->capture_default_str();
    localization_command->add_option("--seed", localization.params.seed, "random seed of the strokes")->capture_default_str();
    localization_command
        ->add_option("--on", localization.on,
                     "test: test digits of the model's classes; validation: the normal images it held out "
                     "(no test labels: for choosing recipes)")
        ->check(CLI::IsMember({"test", "validation"}))
        ->capture_default_str();
    localization_command
        ->add_option("--validation-fraction", localization.validation_fraction, "with --on validation: as given to train")
        ->check(CLI::Range(0.01, 0.5))
        ->capture_default_str();
    localization_command->add_option("--json", localization.json_path, "write the results as JSON");
    localization_command->add_option("--pictures", localization.pictures_dir, "folder for example PNGs (clean and stroked)")
        ->check(CLI::ExistingDirectory);
    add_threads_option(*localization_command, threads);

    cli::SearchComparisonOptions comparison;
    CLI::App* comparison_command = protocol_command->add_subcommand(
        "search-vs-encoder", "one-class models scored with AnoGAN's latent search and with the encoder");
    comparison_command->add_option("--data", comparison.data_dir, "folder with the four MNIST files");
    comparison_command->add_option("--digits", comparison.digits, "digits to run")->capture_default_str();
    comparison_command->add_option("--test-images", comparison.params.test_images, "random test images scored")
        ->check(CLI::Range(2, 10000))
        ->capture_default_str();
    comparison_command->add_option("--json", comparison.json_path, "write the results as JSON");
    add_threads_option(*comparison_command, threads);
    add_train_settings(*comparison_command, comparison.params.train);
    comparison_command->add_option("--search-steps", comparison.params.search.search_steps, "latent-search iterations")
        ->check(CLI::Range(1, 100000))
        ->capture_default_str();

    cli::DrawnOptions drawn;
    CLI::App* drawn_command = protocol_command->add_subcommand(
        "drawn", "digits, letters and symbols drawn from stroke templates: are the non-digits flagged?");
    drawn_command->add_option("--model", drawn.model_path, "model file (default: the bundled model)");
    drawn_command->add_option("--samples", drawn.samples_per_template, "drawings per template")
        ->check(CLI::Range(1, 10000))
        ->capture_default_str();
    drawn_command->add_option("--seed", drawn.seed, "random seed of the jitter")->capture_default_str();
    drawn_command->add_option("--json", drawn.json_path, "write the results as JSON");
    drawn_command->add_option("--pictures", drawn.pictures_dir, "folder for one PNG per template")
        ->check(CLI::ExistingDirectory);
    add_threads_option(*drawn_command, threads);

    cli::CalibrateOptions calibration;
    CLI::App* calibrate_command = app.add_subcommand(
        "calibrate", "recompute a model's thresholds on the images it held out (after the score changed)");
    calibrate_command->add_option("--model", calibration.model_path, "model file")->required();
    calibrate_command->add_option("--data", calibration.data_dir, "folder with the four MNIST files");
    calibrate_command->add_option("--out", calibration.output_path, "write here instead of overwriting the model");
    calibrate_command->add_option("--validation-fraction", calibration.validation_fraction, "as given to train")
        ->check(CLI::Range(0.01, 0.5))
        ->capture_default_str();
    calibrate_command->add_option("--digit-weight", calibration.digit_weight,
                                  "set the weight of the not-a-digit term in the score first")
        ->check(CLI::NonNegativeNumber);
    calibrate_command->add_option("--density-weight", calibration.density_weight,
                                  "set the weight of the feature-density term first; a model without a feature "
                                  "density gets one, fitted on the images it learned from")
        ->check(CLI::NonNegativeNumber);
    calibrate_command->add_option("--realness-weight", calibration.realness_weight,
                                  "set the weight of the reconstruction's fakeness in the shape channel first")
        ->check(CLI::NonNegativeNumber);
    add_threads_option(*calibrate_command, threads);

    cli::FetchOptions fetch;
    CLI::App* fetch_command =
        app.add_subcommand("fetch-mnist", "download MNIST, verified by SHA-256, where training and evaluation look for it");
    fetch_command->add_option("--dir", fetch.dir, "folder for the four files (default: $ODDIGIT_DATA or ~/.local/share/oddigit/mnist)");
    fetch_command->add_option("--mirror", fetch.mirror, "base URL holding train-images-idx3-ubyte.gz and the three others");

    std::string info_path;
    CLI::App* info_command = app.add_subcommand("info", "show what a model file holds");
    info_command->add_option("model", info_path, "model file")->required();

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& help) {
        return app.exit(help);
    } catch (const CLI::CallForAllHelp& help) {
        return app.exit(help);
    } catch (const CLI::CallForVersion& version) {
        return app.exit(version);
    } catch (const CLI::ParseError& error) {
        std::fprintf(stderr, "oddigit-cli: error: %s (see --help)\n", error.what());
        return 2;
    }

    try {
        set_thread_count(threads);
        for (TrainParams* params : {&train.params, &protocol.params, &leave_one_out.params.train, &comparison.params.train})
            params->threads = threads;
        if (*train_command) return cli::run_train(train);
        if (*score_command) return cli::run_score(score);
        if (*eval_command) return cli::run_eval(eval);
        if (*one_class) return cli::run_one_class_protocol(protocol);
        if (*leave_one_out_command) return cli::run_leave_one_out_protocol(leave_one_out);
        if (*comparison_command) return cli::run_search_comparison_protocol(comparison);
        if (*localization_command) return cli::run_localization_protocol(localization);
        if (*drawn_command) return cli::run_drawn_protocol(drawn);
        if (*calibrate_command) return cli::run_calibrate(calibration);
        if (*info_command) return cli::run_info(info_path);
        if (*fetch_command) return cli::run_fetch_mnist(fetch);
    } catch (const Error& error) {
        std::fprintf(stderr, "oddigit-cli: error: %s\n", error.what());
        return 1;
    } catch (const std::exception& error) {
        std::fprintf(stderr, "oddigit-cli: internal error: %s\n", error.what());
        return 1;
    }
    return 0;
}
