#include "commands.h"

#include <cstdio>
#include <algorithm>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "cli_support.h"
#include "oddigit/distributed.h"
#include "oddigit/error.h"
#include "oddigit/mnist.h"
#include "oddigit/run_plan.h"
#include "oddigit/train.h"
#include "terminal.h"
#ifdef ODDIGIT_HAVE_IMAGE_IO
#include "oddigit/training_run.h"
#endif

namespace oddigit::cli {

namespace {

struct TrainOptions {
    DataOptions data;
    std::string test_images_dir;  // recorded in the model, for the app's Explore
    RunPlan plan;                 // its data source and MNIST folder are set from the two above
    // Distributed runs: "HOST:PORT" of rank 0 (empty: $MASTER_ADDR/$MASTER_PORT or the
    // defaults), and the world size and rank given on the command line (-1: $WORLD_SIZE/$RANK).
    std::string master;
    int world_size = -1;
    int rank = -1;
};

TrainCallbacks terminal_callbacks(ProgressLine& line, TrainProgress& last) {
    TrainCallbacks callbacks;
    callbacks.on_progress = [&line, &last](const TrainProgress& p) {
        last = p;
        line.update(progress_text(p));
    };
    callbacks.on_epoch = [&line, &last](const EpochSummary& e) {
        line.finish();
        char time[96];
        if (e.exchange_seconds > 0)
            std::snprintf(time, sizeof time, "(%.1f s, %.1f s of it with the other ranks)", e.seconds, e.exchange_seconds);
        else
            std::snprintf(time, sizeof time, "(%.1f s)", e.seconds);
        if (e.phase == TrainPhase::Gan)
            std::printf("GAN epoch %d/%d: D %.3f  G %.3f  D(x) %.2f  D(G(z)) %.2f  digit head %.3f  %s\n", e.epoch,
                        e.epochs, last.discriminator_loss, last.generator_loss, last.d_real, last.d_fake,
                        last.digit_loss, time);
        else if (e.phase == TrainPhase::Reader)
            std::printf("reader epoch %d/%d: loss %.4f  %s\n", e.epoch, e.epochs, last.reader_loss, time);
        else
            std::printf("encoder epoch %d/%d: loss %.4f  held-out mean residual %.4f  %s\n", e.epoch, e.epochs,
                        last.encoder_loss, e.validation_mean_stroke, time);
        std::fflush(stdout);
    };
    return callbacks;
}

// The run's processes: $WORLD_SIZE, $RANK, $MASTER_ADDR and $MASTER_PORT, overridden by the options.
DistributedParams distributed_of(const TrainOptions& options) {
    DistributedParams distributed = distributed_from_environment();
    if (options.world_size >= 0) distributed.world_size = options.world_size;
    if (options.rank >= 0) distributed.rank = options.rank;
    if (!options.master.empty()) {
        const size_t colon = options.master.rfind(':');
        if (colon == std::string::npos || colon == 0) throw Error("--master takes HOST:PORT, not '" + options.master + "'");
        distributed.master_addr = options.master.substr(0, colon);
        try {
            size_t used = 0;
            distributed.master_port = std::stoi(options.master.substr(colon + 1), &used);
            if (used != options.master.size() - colon - 1) throw std::invalid_argument("trailing characters");
        } catch (const std::exception&) {
            throw Error("--master takes HOST:PORT, not '" + options.master + "'");
        }
    }
    check_distributed(distributed);
    return distributed;
}

// A run being resumed: its resume file and the settings it records (read_run_settings()).
struct ResumedRun {
    std::string path;
    RunSettings run;
};

// An option given on the command line that must agree with the resumed run's setting.
void must_agree(const CLI::App& command, const char* option, bool agrees, const ResumedRun& resumed,
                const std::string& runs) {
    if (command.count(option) > 0 && !agrees)
        throw Error(std::string(option) + " contradicts the run being resumed ('" + resumed.path + "'), which has " + runs +
                    ": leave it out to continue with the run's");
}

// --resume: the run's own settings (those its resume file records) in options, then the options
// given on the command line over them. Given options that a resumed run must keep (the sizes,
// the batch, the seed, the data, the training images) are refused where they contradict it;
// the others (epochs, rates, the score's weights, device) are taken.
ResumedRun take_run_settings(TrainOptions& options, CLI::App& command) {
    const TrainParams given = options.plan.params;
    if (given.output_path.empty()) throw Error("--resume needs --out on every rank: each reads the resume file beside it");
    ResumedRun resumed{resume_path(rank_output_path(given.output_path, given.distributed.rank)), {}};
    resumed.run = read_run_settings(resumed.path);
    const RunSettings& run = resumed.run;
    options.plan.params = run.params;
    for (auto caller_set : {&TrainParams::output_path, &TrainParams::device, &TrainParams::gan_from, &TrainParams::encoder_from})
        options.plan.params.*caller_set = given.*caller_set;
    options.plan.params.resume = true;
    options.plan.params.distributed = given.distributed;
    options.plan.params.reader.bank_rescans = given.reader.bank_rescans;
    for (CLI::Option* option : command.get_options())
        if (option->count() > 0) option->run_callback();

    must_agree(command, "--seed", given.seed == run.params.seed, resumed, "seed " + std::to_string(run.params.seed));
    must_agree(command, "--batch-size", given.batch_size == run.params.batch_size, resumed,
               "batches of " + std::to_string(run.params.batch_size));
    must_agree(command, "--latent-dim", given.architecture.latent_dim == run.params.architecture.latent_dim, resumed,
               "a latent code of " + std::to_string(run.params.architecture.latent_dim));
    must_agree(command, "--width", given.architecture.width == run.params.architecture.width, resumed,
               "width " + std::to_string(run.params.architecture.width));
    must_agree(command, "--limit", options.plan.limit == run.train_images, resumed,
               std::to_string(run.train_images) + " training images");
    options.plan.limit = run.train_images;
    const DataSource& source = run.params.data_source;
    if (command.count("--images") == 0) options.data.images_dir = source.folder;
    if (command.count("--as-is") == 0) options.data.as_is = source.as_is;
    if (source_of(options.data) != source)
        throw Error("--images and --as-is contradict the run being resumed ('" + resumed.path + "'), which learns from " +
                    source.record() + ": leave them out to continue with the run's");
    if (command.count("--test-images") == 0 && run.params.test_data) options.test_images_dir = run.params.test_data->folder;
    if (command.count("--normal") == 0) options.plan.normal = run.params.normal_classes.names();
    return resumed;
}

// The resumed run's data, once loaded and split: the normal classes given must be the run's, and
// so must the images held out, which without --validation-fraction are as many as the run's.
void check_resumed_data(const ResumedRun& resumed, const RunData& data, const CLI::App& command) {
    const RunSettings& run = resumed.run;
    must_agree(command, "--normal", data.params.normal_classes == run.params.normal_classes, resumed,
               "normal classes " + run.params.normal_classes.names());
    // A run that did not record it: the trainer checks the training images' count.
    if (run.validation_images > 0)
        must_agree(command, "--validation-fraction", data.split.validation.size() == run.validation_images, resumed,
                   std::to_string(run.validation_images) + " images held out");
}

void print_data(const RunData& data) {
    const TrainParams& params = data.params;
    std::printf("training on %lld images of classes %s (%lld held out for validation) from %s\n",
                static_cast<long long>(data.split.train.images.size()),
                params.normal_classes.names().c_str(),
                static_cast<long long>(data.split.validation.size()), params.data_source.record().c_str());
    const DistributedParams& distributed = params.distributed;
    if (distributed.world_size > 1)
        std::printf("rank %d of %d, meeting at %s:%d; %d images of each batch of %d\n", distributed.rank,
                    distributed.world_size, distributed.master_addr.c_str(), distributed.master_port,
                    params.batch_size / distributed.world_size, params.batch_size);
    std::fflush(stdout);
}

// The run, through run_training() of oddigit/training_run.h; a build that reads no images
// trains on MNIST alone, without the images it cannot make (PreparedImages).
TrainResult train_as_planned(const RunPlan& plan, const TrainCallbacks& callbacks,
                             const std::function<void(const RunData&)>& on_data) {
#ifdef ODDIGIT_HAVE_IMAGE_IO
    return run_training(plan, callbacks, nullptr, on_data);
#else
    const LabelledData source = load_data(plan.params.data_source, plan.mnist_dir, MnistPart::Train);
    const RunData data = split_for(plan, source.images, source.class_names);
    on_data(data);
    note_no_canvas_calibration();
    return train(data.split.train, data.split.validation, data.params, callbacks);
#endif
}

// options are the ones the command line's options are bound to: a resume puts the run's settings
// in them and then the given options over them again.
int run_train(TrainOptions& options, CLI::App& command, int threads) {
    options.plan.params.distributed = distributed_of(options);
    std::optional<ResumedRun> resumed;
    if (options.plan.params.resume) resumed = take_run_settings(options, command);
    RunPlan plan = options.plan;
    TrainParams& params = plan.params;
    params.threads = threads;
    const DistributedParams& distributed = params.distributed;
    // One GPU per rank on a node: torchrun numbers the ranks of each node in $LOCAL_RANK.
    if (params.device == "cuda" && distributed.world_size > 1)
        if (const char* local_rank = std::getenv("LOCAL_RANK"); local_rank && *local_rank)
            params.device = std::string("cuda:") + local_rank;
    if (params.output_path.empty() && distributed.rank == 0) throw Error("--out is required");
    if (plan.normal.empty()) throw Error("--normal is required (but with --resume, which takes the run's)");
    params.data_source = source_of(options.data);
    plan.mnist_dir = data_or_default(options.data.mnist_dir);
    if (!options.test_images_dir.empty()) params.test_data = DataSource::image_folder(options.test_images_dir, options.data.as_is);
    if (resumed && command.count("--validation-fraction") == 0) plan.held_out = resumed->run.validation_images;

    ProgressLine line;
    TrainProgress last;
    const TrainResult result = train_as_planned(plan, terminal_callbacks(line, last), [&](const RunData& data) {
        if (resumed) check_resumed_data(*resumed, data, command);
        print_data(data);
    });
    line.finish();
    const ModelInfo& info = result.model.info();
    std::printf("trained in %s (%.1f s); model %s; thresholds: %s (%.0f%% of held-out images unflagged)\n",
                format_duration(result.seconds).c_str(), result.seconds,
                params.output_path.empty() ? "not saved by this rank"
                                           : ("saved to " + rank_output_path(params.output_path, distributed.rank)).c_str(),
                thresholds_text(info).c_str(), 100.0 * info.threshold_quantile);
    if (distributed.world_size > 1)
        std::printf("time with the other ranks: %.1f s (gradients %.1f s, BatchNorm statistics %.1f s, "
                    "losses and go-on flags %.1f s), waits for a slower rank included\n",
                    result.exchange.total(), result.exchange.gradients, result.exchange.batch_norm,
                    result.exchange.step_figures);
    return 0;
}

}  // namespace

void add_train_command(CLI::App& app, Commands& commands, int& threads, const TrainOptionsHook& more_options) {
    auto options = std::make_shared<TrainOptions>();
    CLI::App* command = app.add_subcommand("train", "train a model on normal MNIST digits, or on the normal classes of an image folder");
    add_data_options(*command, options->data, "to train on");
    command->add_option("--test-images", options->test_images_dir,
                        "with --images: a test folder of the same classes, recorded in the model for the app's Explore view")
        ->check(CLI::ExistingDirectory);
    command->add_option("--normal", options->plan.normal,
                        "normal classes: a digit, a list like 0,2,5, or all; with --images, class names like cat,dog, "
                        "or all (required but with --resume)");
    command->add_option("--out", options->plan.params.output_path,
                        "model file to write (.safetensors); required on rank 0, other ranks write their copy only when given it (ranks on one machine: each its own file)");
    command->add_option("--seed", options->plan.params.seed, "random seed")->capture_default_str();
    command->add_flag("--resume", options->plan.params.resume,
                      "continue from OUT's .resume.safetensors with the run's own settings: an option given may "
                      "change the epochs, rates and the score's weights, and must agree with the rest");
    command->add_option("--gan-from", options->plan.params.gan_from,
                        "keep this finished model's GAN (trained with the same settings) and train only a new "
                        "encoder, written to OUT")
        ->check(CLI::ExistingFile);
    command->add_option("--encoder-from", options->plan.params.encoder_from,
                        "keep this finished model's GAN and encoder (trained with the same settings) and train only "
                        "the digit readers, written to OUT")
        ->check(CLI::ExistingFile);
    command->add_option("--validation-fraction", options->plan.validation_fraction, "share of normal images held out")
        ->check(CLI::Range(0.01, 0.5))
        ->capture_default_str();
    command->add_option("--limit", options->plan.limit, "use at most this many training images")->check(CLI::NonNegativeNumber);
    add_threads_option(*command, threads);
    add_train_settings(*command, options->plan.params);
    if (more_options) more_options(*command, options->plan.params);
    command->add_option("--world-size", options->world_size, "processes training together (default: $WORLD_SIZE, else 1)")
        ->check(CLI::PositiveNumber);
    command->add_option("--rank", options->rank, "this process among them, from 0 (default: $RANK, else 0)")
        ->check(CLI::NonNegativeNumber);
    command->add_option("--master", options->master,
                        "HOST:PORT where rank 0 meets the others (default: $MASTER_ADDR:$MASTER_PORT, else 127.0.0.1:29500)");
    commands.push_back({command, [options, command, &threads] { return run_train(*options, *command, threads); }});
}

}  // namespace oddigit::cli
