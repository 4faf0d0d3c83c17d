#include "commands.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cli_support.h"
#include "oddigit/error.h"
#include "oddigit/image.h"
#include "oddigit/mnist.h"
#include "oddigit/model.h"
#include "oddigit/protocol.h"
#include "oddigit/runtime.h"
#include "oddigit/train.h"
#include "report.h"
#include "terminal.h"

namespace oddigit::cli {

namespace {

struct OneClassOptions {
    DataOptions data;              // the training images: MNIST's, or a folder's
    std::string test_images_dir;   // with a folder: the test folder, of the same classes
    std::string digits = "all";
    std::vector<int> seeds = {1};
    std::string json_path;
    TrainParams params;
};

struct LeaveOneOutOptions {
    std::string data_dir;
    std::string digits = "0-9";
    std::string json_path;
    LeaveOneOutParams params;
};

struct SearchComparisonOptions {
    std::string data_dir;
    std::string digits = "1,4,8";
    std::string json_path;
    SearchComparisonParams params;
};

std::vector<int> digit_list(const std::string& text) { return class_list(ClassSet::parse(text)); }

// The recipe a protocol trained with; an epoch count of 0 is default_epochs() of each training set.
Report recipe(const TrainParams& params) {
    const auto epochs = [](int count) { return count > 0 ? Report(count) : Report("default"); };
    return {{"gan_epochs", epochs(params.gan_epochs)}, {"encoder_epochs", epochs(params.encoder_epochs)},
            {"batch_size", params.batch_size}, {"latent_dim", params.architecture.latent_dim},
            {"width", params.architecture.width}, {"kappa", params.terms.kappa}};
}

// A protocol's log: each message on its own line, after the training progress line.
std::function<void(const std::string&)> protocol_log(ProgressLine& line) {
    return [&line](const std::string& message) {
        line.finish();
        std::printf("%s\n", message.c_str());
        std::fflush(stdout);
    };
}

TrainCallbacks progress_callbacks(ProgressLine& line) {
    TrainCallbacks callbacks;
    callbacks.on_progress = [&line](const TrainProgress& p) { line.update(progress_text(p)); };
    return callbacks;
}

// The training and test sets of the one-class protocol: MNIST's, or a folder and its test folder;
// sets params' data source and classes (all of them, named as the data names them).
MnistSet one_class_data(const OneClassOptions& options, TrainParams& params) {
    if (options.data.images_dir.empty() != options.test_images_dir.empty())
        throw Error("the one-class protocol on images takes --images and --test-images together");
    const LabelledData train = load_data(options.data, MnistPart::Train);
    DataOptions test_options = options.data;
    test_options.images_dir = options.test_images_dir;
    LabelledData test = load_data(test_options, MnistPart::Test);
    if (test.class_names != train.class_names)
        throw Error("the test folder's classes differ from the training folder's: each needs the same class folders");
    params.normal_classes = ClassSet::parse_names("all", train.class_names);
    params.data_source = train.source;
    return {train.images, std::move(test.images)};
}

int run_one_class_protocol(const OneClassOptions& options, int threads) {
    OneClassParams params;
    params.seeds = options.seeds;
    params.train = options.params;
    params.train.threads = threads;
    const MnistSet data = one_class_data(options, params.train);
    const ClassSet& classes = params.train.normal_classes;
    params.classes = class_list(ClassSet::parse_names(options.digits, classes.class_names()));
    ProgressLine line;
    const OneClassReport result = run_one_class(data, params, protocol_log(line), progress_callbacks(line));
    line.finish();
    Report per_class = Report::array();  // "digits" in the report, as its readers know it
    for (int c : params.classes) {
        Report runs = Report::array();
        for (const OneClassRun& run : result.runs)
            if (run.class_index == c) runs.push_back({{"seed", run.seed}, {"auroc", run.auroc}, {"seconds", run.seconds}});
        per_class.push_back({{classes.class_names().empty() ? "digit" : "class", classes.name(c)},
                          {"mean", result.mean_auroc(c)},
                          {"std", result.std_auroc(c)},
                          {"runs", runs}});
    }
    const Report report = {{"protocol", "one-class (train on class k, test on the whole test set)"},
                           {"data", params.train.data_source.record()},
                           {"seeds", params.seeds},
                           {"digits", per_class},
                           {"mean_auroc", result.mean_auroc()},
                           {"seconds", result.seconds},
                           {"settings", recipe(params.train)}};
    print_report(report);
    save_report(report, options.json_path);
    return 0;
}

int run_leave_one_out_protocol(const LeaveOneOutOptions& options, int threads) {
    LeaveOneOutParams params = options.params;
    params.digits = digit_list(options.digits);
    params.train.threads = threads;
    const MnistSet mnist = load_mnist(data_or_default(options.data_dir));
    ProgressLine line;
    const LeaveOneOutReport result = run_leave_one_out(mnist, params, protocol_log(line), progress_callbacks(line));
    line.finish();
    Report rows = Report::array();
    for (const LeaveOneOutRun& run : result.runs)
        rows.push_back({{"digit", run.digit}, {"auroc", run.auroc}, {"train_images", run.train_images},
                        {"test_normal_images", run.test_normal_images},
                        {"test_anomalous_images", run.test_anomalous_images}, {"seconds", run.seconds}});
    const Report report = {{"protocol", "leave-one-out (GANomaly split: digit k anomalous, the other nine normal, "
                                        "train+test pooled and split 80/20)"},
                           {"seed", params.seed},
                           {"digits", rows},
                           {"mean_auroc", result.mean_auroc()},
                           {"seconds", result.seconds},
                           {"settings", recipe(params.train)}};
    print_report(report);
    save_report(report, options.json_path);
    return 0;
}

int run_search_comparison_protocol(const SearchComparisonOptions& options, int threads) {
    SearchComparisonParams params = options.params;
    params.digits = digit_list(options.digits);
    params.train.threads = threads;
    const MnistSet mnist = load_mnist(data_or_default(options.data_dir));
    const Stopwatch start;
    ProgressLine line;
    const std::vector<SearchComparisonRun> runs = run_search_comparison(mnist, params, protocol_log(line));
    line.finish();
    Report rows = Report::array();
    for (const SearchComparisonRun& run : runs)
        rows.push_back({{"digit", run.digit}, {"encoder_auroc", run.encoder_auroc},
                        {"encoder_ms_per_image", run.encoder_ms_per_image}, {"search_auroc", run.search_auroc},
                        {"search_ms_per_image", run.search_ms_per_image}});
    const Report report = {{"protocol", "AnoGAN latent search vs encoder, one-class"},
                           {"test_images", params.test_images},
                           {"search_steps", params.search.search_steps},
                           {"digits", rows},
                           {"seconds", start.seconds()}};
    print_report(report);
    save_report(report, options.json_path);
    return 0;
}

void add_one_class(CLI::App& protocol, Commands& commands, int& threads) {
    auto options = std::make_shared<OneClassOptions>();
    CLI::App* command = protocol.add_subcommand(
        "one-class", "train on each class alone, test on the whole test set (the others are anomalies): MNIST's "
                     "digits, or an image folder's classes with a test folder");
    add_data_options(*command, options->data, "to train on");
    command->add_option("--test-images", options->test_images_dir, "with --images: the test folder, of the same classes")
        ->check(CLI::ExistingDirectory);
    command->add_option("--digits", options->digits, "classes to run: digits like 0-9 or 1,3; with --images, class names; or all")
        ->capture_default_str();
    command->add_option("--seeds", options->seeds, "seeds to run for each digit, e.g. 1,2,3")
        ->delimiter(',')
        ->check(CLI::Range(1, 1000000))
        ->capture_default_str();
    command->add_option("--json", options->json_path, "write the results as JSON");
    add_threads_option(*command, threads);
    add_train_settings(*command, options->params);
    commands.push_back({command, [options, &threads] { return run_one_class_protocol(*options, threads); }});
}

void add_leave_one_out(CLI::App& protocol, Commands& commands, int& threads) {
    auto options = std::make_shared<LeaveOneOutOptions>();
    CLI::App* command = protocol.add_subcommand(
        "leave-one-out", "each digit in turn is the anomaly, the other nine are normal (GANomaly's split)");
    add_data_option(*command, options->data_dir);
    command->add_option("--digits", options->digits, "anomaly digits to run, e.g. 0-9 or 1,3")->capture_default_str();
    command->add_option("--seed", options->params.seed, "random seed of the split and the training")->capture_default_str();
    command->add_option("--json", options->json_path, "write the results as JSON");
    add_threads_option(*command, threads);
    add_train_settings(*command, options->params.train);
    commands.push_back({command, [options, &threads] { return run_leave_one_out_protocol(*options, threads); }});
}

void add_search_comparison(CLI::App& protocol, Commands& commands, int& threads) {
    auto options = std::make_shared<SearchComparisonOptions>();
    CLI::App* command = protocol.add_subcommand(
        "search-vs-encoder", "one-class models scored with AnoGAN's latent search and with the encoder");
    add_data_option(*command, options->data_dir);
    command->add_option("--digits", options->digits, "digits to run")->capture_default_str();
    command->add_option("--test-images", options->params.test_images, "random test images scored")
        ->check(CLI::Range(2, 10000))
        ->capture_default_str();
    command->add_option("--json", options->json_path, "write the results as JSON");
    add_threads_option(*command, threads);
    add_train_settings(*command, options->params.train);
    command->add_option("--search-steps", options->params.search.search_steps, "latent-search iterations")
        ->check(CLI::Range(1, 100000))
        ->capture_default_str();
    commands.push_back({command, [options, &threads] { return run_search_comparison_protocol(*options, threads); }});
}

}  // namespace

void add_protocol_commands(CLI::App& app, Commands& commands, int& threads) {
    CLI::App* protocol = app.add_subcommand("protocol", "run a standard evaluation protocol");
    protocol->require_subcommand(1);
    add_one_class(*protocol, commands, threads);
    add_leave_one_out(*protocol, commands, threads);
    add_search_comparison(*protocol, commands, threads);
    add_model_protocols(*protocol, commands, threads);
}

}  // namespace oddigit::cli
