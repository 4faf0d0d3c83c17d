// oddigit-bench: training speed, scoring latency and throughput, latent-search cost.
#include <CLI/CLI.hpp>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "oddigit/error.h"
#include "oddigit/latent.h"
#include "oddigit/mnist.h"
#include "oddigit/runtime.h"
#include "oddigit/train.h"

namespace {

using Clock = std::chrono::steady_clock;
using namespace oddigit;

// Single-image scoring repetitions for the latency percentiles.
constexpr int kLatencyRuns = 500;
// Images in the latent-search timing.
constexpr int kSearchImages = 32;
// Training steps timed for a rate, after warm-up steps that are not.
constexpr int kWarmUpSteps = 10;
constexpr int kTimedSteps = 100;
// The Draw view scores the drawing and the drawing without each stroke: a three-stroke
// drawing is a batch of four, at most one per 16 ms frame.
constexpr int kDrawingBatch = 4;
constexpr auto kFrame = std::chrono::milliseconds(16);
// Turns each sharing case takes; its figure is the median.
constexpr int kRounds = 3;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

double percentile(std::vector<double> values, double q) {
    std::sort(values.begin(), values.end());
    return values[static_cast<size_t>(q * (values.size() - 1))];
}

// GAN-phase training rate in images/s with `threads` LibTorch threads (0: tuned by the
// trainer), timed over kTimedSteps steps after kWarmUpSteps.
double training_rate(const NormalSplit& split, int threads) {
    init_worker_thread();
    TrainParams params;
    params.threads = threads;
    params.gan_epochs = 1;
    params.encoder_epochs = 1;
    TrainControl control;
    Clock::time_point start;
    double rate = 0;
    TrainCallbacks callbacks;
    callbacks.on_progress = [&](const TrainProgress& p) {
        if (p.step == kWarmUpSteps) start = Clock::now();
        if (p.step == kWarmUpSteps + kTimedSteps) {
            rate = kTimedSteps * params.batch_size / seconds_since(start);
            control.cancel();
        }
    };
    train(split.train, split.validation, params, callbacks, &control);
    return rate;
}

struct SharedRun {
    double training_images_per_second = 0;
    double drawing_ms_p50 = 0, drawing_ms_p95 = 0;
};

// Trains with training_threads while another thread scores a drawing every frame with one
// thread, as the app does when the user draws during a training run.
SharedRun train_while_drawing(const NormalSplit& split, const AnomalyModel& model, const ImageBatch& drawings,
                              int training_threads) {
    std::atomic<bool> training{true};
    std::vector<double> latencies;
    std::thread drawer([&] {
        init_worker_thread();
        set_thread_count(1);
        const AnomalyModel copy = model.clone();
        for (int64_t i = 0; training; i = (i + kDrawingBatch) % (drawings.size() - kDrawingBatch)) {
            const Clock::time_point frame = Clock::now();
            ImageBatch batch;
            batch.pixels.assign(drawings.image(i), drawings.image(i + kDrawingBatch));
            copy.score(batch);
            latencies.push_back(1000 * seconds_since(frame));
            std::this_thread::sleep_until(frame + kFrame);
        }
    });
    SharedRun run;
    run.training_images_per_second = training_rate(split, training_threads);
    training = false;
    drawer.join();
    run.drawing_ms_p50 = percentile(latencies, 0.5);
    run.drawing_ms_p95 = percentile(latencies, 0.95);
    return run;
}

// Trains with `threads` while a child process keeps one core busy.
double training_rate_beside_busy_process(const NormalSplit& split, int threads) {
    const pid_t busy = fork();
    if (busy == 0) {
        for (volatile uint64_t spin = 0;; spin = spin + 1) {
        }
    }
    const double rate = training_rate(split, threads);
    kill(busy, SIGKILL);
    waitpid(busy, nullptr, 0);
    return rate;
}

// One GAN epoch and one encoder epoch on train_images normal images.
void training_figures(const MnistSet& mnist, int train_images, nlohmann::json& figures) {
    NormalSplit split = split_normal(mnist.train, ClassSet::all(), 0.05, 1);
    split.train.keep_first(train_images);
    TrainParams params;
    params.gan_epochs = 1;
    params.encoder_epochs = 1;
    params.reader.epochs = 0;
    double gan_seconds = 0, encoder_seconds = 0;
    TrainCallbacks callbacks;
    callbacks.on_epoch = [&](const EpochSummary& e) { (e.phase == TrainPhase::Gan ? gan_seconds : encoder_seconds) = e.seconds; };
    train(split.train, split.validation, params, callbacks);
    const double batches = static_cast<double>(split.train.images.size() / params.batch_size * params.batch_size);
    figures["gan_train_images_per_second"] = batches / gan_seconds;
    // The encoder epoch includes calibration on the validation images.
    figures["encoder_train_images_per_second"] = batches / encoder_seconds;
    std::printf("training   GAN %.0f img/s, encoder %.0f img/s (batch %d, %lld images)\n", batches / gan_seconds,
                batches / encoder_seconds, params.batch_size, static_cast<long long>(split.train.images.size()));
}

// One image's latency and the test set's throughput, under prefix (a model's name).
void scoring_figures(const AnomalyModel& model, const ImageBatch& test, const std::string& prefix, nlohmann::json& figures) {
    std::vector<double> latencies;
    for (int i = 0; i < kLatencyRuns; ++i) {
        const Image28 image = test.at(i);
        const Clock::time_point start = Clock::now();
        model.score(image);
        latencies.push_back(1000 * seconds_since(start));
    }
    figures[prefix + "single_image_ms_p50"] = percentile(latencies, 0.5);
    figures[prefix + "single_image_ms_p99"] = percentile(latencies, 0.99);
    std::printf("scoring    %sone image: p50 %.3f ms, p99 %.3f ms (heatmap and reconstruction included)\n", prefix.c_str(),
                percentile(latencies, 0.5), percentile(latencies, 0.99));
    const Clock::time_point start = Clock::now();
    model.score_values(test);
    const double throughput = test.size() / seconds_since(start);
    figures[prefix + "test_set_images_per_second"] = throughput;
    std::printf("scoring    %s10,000 test images: %.0f img/s (%.2f s)\n", prefix.c_str(), throughput, test.size() / throughput);
}

// AnoGAN's latent search, and the Explore view's t-SNE map of the test set's codes (target: 60 s).
void search_and_map_figures(const AnomalyModel& model, const ImageBatch& test, int threads, nlohmann::json& figures) {
    ImageBatch few;
    few.pixels.assign(test.image(0), test.image(kSearchImages));
    ScoreParams search;
    search.mode = ScoreMode::LatentSearch;
    Clock::time_point start = Clock::now();
    model.score_values(few, search);
    const double per_image = 1000 * seconds_since(start) / kSearchImages;
    figures["latent_search_ms_per_image"] = per_image;
    figures["latent_search_steps"] = search.search_steps;
    std::printf("AnoGAN     latent search, %d steps: %.1f ms per image (batch of %d)\n", search.search_steps, per_image,
                kSearchImages);
    const std::vector<float> codes = model.encode(test);
    TsneParams tsne;
    tsne.threads = threads;
    start = Clock::now();
    tsne_2d(codes, model.info().architecture.latent_dim, tsne);
    const double tsne_seconds = seconds_since(start);
    figures["tsne_test_set_seconds"] = tsne_seconds;
    std::printf("latent map t-SNE of %lld codes: %.1f s (%d iterations)\n", static_cast<long long>(test.size()), tsne_seconds,
                tsne.iterations);
}

// Sharing the machine: training alone, beside the app's live scoring (one thread, see
// ui/background_job.h) and beside another busy process; on every core, on one core fewer, and
// with the trainer tuning its thread count (0). This machine's speed drifts from minute to
// minute, so the cases take turns, kRounds times, and each figure is the median of its rounds.
void sharing_figures(const MnistSet& mnist, const AnomalyModel& model, nlohmann::json& figures) {
    NormalSplit rate_split = split_normal(mnist.train, ClassSet::all(), 0.05, 1);
    rate_split.train.keep_first(static_cast<int64_t>(kWarmUpSteps + kTimedSteps + 1) * TrainParams{}.batch_size);
    const int cores = available_cores();
    const std::vector<int> thread_counts = {cores, std::max(1, cores - 1), 0};
    const auto name = [](int threads) { return threads == 0 ? std::string("tuned") : std::to_string(threads); };
    std::map<std::string, std::vector<double>> rates, drawing_p95;
    for (int round = 0; round < kRounds; ++round) {
        for (const int threads : thread_counts) {
            rates["alone_" + name(threads)].push_back(training_rate(rate_split, threads));
            const SharedRun run = train_while_drawing(rate_split, model, mnist.test.images, threads);
            rates["while_drawing_" + name(threads)].push_back(run.training_images_per_second);
            drawing_p95[name(threads)].push_back(run.drawing_ms_p95);
            rates["beside_busy_process_" + name(threads)].push_back(training_rate_beside_busy_process(rate_split, threads));
        }
    }
    const double alone = percentile(rates["alone_" + name(cores)], 0.5);
    for (const auto& [key, values] : rates) {
        const double rate = percentile(values, 0.5);
        figures[key + "_threads_images_per_second"] = rate;
        std::printf("sharing    %-28s %5.0f img/s (%3.0f %% of alone on %d threads)\n", (key + " threads").c_str(), rate,
                    100 * rate / alone, cores);
    }
    for (const auto& [threads, values] : drawing_p95) {
        figures["while_drawing_" + threads + "_threads_drawing_ms_p95"] = percentile(values, 0.5);
        std::printf("sharing    a drawing scored every %lld ms while training on %s threads: p95 %.1f ms\n",
                    static_cast<long long>(kFrame.count()), threads.c_str(), percentile(values, 0.5));
    }
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Oddigit benchmarks: prints training and scoring speed on this machine."};
    std::string model_path, baseline_path, data_dir = default_mnist_dir(), json_path;
    int threads = 0, train_images = 6000;
    bool scoring_only = false;
    app.add_option("--model", model_path, "model to score with (default: the bundled model)");
    app.add_option("--baseline", baseline_path, "also score with this model, turn about, and print the ratios");
    app.add_flag("--scoring-only", scoring_only, "only the scoring figures");
    app.add_option("--data", data_dir, "MNIST folder");
    app.add_option("--threads", threads, "CPU threads (0: all cores)");
    app.add_option("--train-images", train_images, "images in the timed training epochs");
    app.add_option("--json", json_path, "also write the figures as JSON");
    CLI11_PARSE(app, argc, argv);
    try {
        const int used_threads = set_thread_count(threads);
        const MnistSet mnist = load_mnist(data_dir);
        nlohmann::json figures = {{"threads", used_threads}};
        std::printf("oddigit-bench: %d threads\n", used_threads);
        if (!scoring_only) training_figures(mnist, train_images, figures);
        const AnomalyModel model = AnomalyModel::load(model_path.empty() ? default_model_path() : model_path);
        if (baseline_path.empty()) {
            scoring_figures(model, mnist.test.images, "", figures);
        } else {
            // Back to back, kRounds times each, the medians compared: the machine's drift hits both.
            const AnomalyModel baseline = AnomalyModel::load(baseline_path);
            std::map<std::string, std::vector<double>> rounds;
            for (int round = 0; round < kRounds; ++round) {
                nlohmann::json one;
                scoring_figures(baseline, mnist.test.images, "baseline_", one);
                scoring_figures(model, mnist.test.images, "", one);
                for (const auto& [key, value] : one.items()) rounds[key].push_back(value.get<double>());
            }
            for (const auto& [key, values] : rounds) figures[key] = percentile(values, 0.5);
            for (const char* key : {"single_image_ms_p50", "test_set_images_per_second"}) {
                figures[std::string("ratio_") + key] = figures[key].get<double>() / figures[std::string("baseline_") + key].get<double>();
                std::printf("ratio      %s: %.2f of the baseline's (medians of %d rounds)\n", key,
                            figures[std::string("ratio_") + key].get<double>(), kRounds);
            }
        }
        if (!scoring_only) {
            search_and_map_figures(model, mnist.test.images, used_threads, figures);
            sharing_figures(mnist, model, figures);
        }
        if (!json_path.empty()) std::ofstream(json_path) << figures.dump(2) << "\n";
    } catch (const Error& error) {
        std::fprintf(stderr, "oddigit-bench: error: %s\n", error.what());
        return 1;
    }
    return 0;
}
