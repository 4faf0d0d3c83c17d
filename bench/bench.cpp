// oddigit-bench: training speed, scoring latency and throughput, latent-search cost.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "oddigit/error.h"
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

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

double percentile(std::vector<double> values, double q) {
    std::sort(values.begin(), values.end());
    return values[static_cast<size_t>(q * (values.size() - 1))];
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Oddigit benchmarks: prints training and scoring speed on this machine."};
    std::string model_path, data_dir = default_mnist_dir(), json_path;
    int threads = 0, train_images = 6000;
    app.add_option("--model", model_path, "model to score with (default: the bundled model)");
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

        // Training: one GAN epoch and one encoder epoch on train_images normal images.
        NormalSplit split = split_normal(mnist.train, ClassSet::all(), 0.05, 1);
        split.train.pixels.resize(static_cast<size_t>(std::min<int64_t>(train_images, split.train.size())) * kImagePixels);
        TrainParams params;
        params.gan_epochs = 1;
        params.encoder_epochs = 1;
        double gan_seconds = 0, encoder_seconds = 0;
        TrainCallbacks callbacks;
        callbacks.on_epoch = [&](const EpochSummary& e) { (e.phase == TrainPhase::Gan ? gan_seconds : encoder_seconds) = e.seconds; };
        train(split.train, split.validation, params, callbacks);
        const double batches = static_cast<double>(split.train.size() / params.batch_size * params.batch_size);
        figures["gan_train_images_per_second"] = batches / gan_seconds;
        // The encoder epoch includes calibration on the validation images.
        figures["encoder_train_images_per_second"] = batches / encoder_seconds;
        std::printf("training   GAN %.0f img/s, encoder %.0f img/s (batch %d, %lld images)\n", batches / gan_seconds,
                    batches / encoder_seconds, params.batch_size, static_cast<long long>(split.train.size()));

        const AnomalyModel model = AnomalyModel::load(model_path.empty() ? default_model_path() : model_path);
        const ImageBatch& test = mnist.test.images;
        std::vector<double> latencies;
        for (int i = 0; i < kLatencyRuns; ++i) {
            const Image28 image = test.at(i);
            const Clock::time_point start = Clock::now();
            model.score(image);
            latencies.push_back(1000 * seconds_since(start));
        }
        figures["single_image_ms_p50"] = percentile(latencies, 0.5);
        figures["single_image_ms_p99"] = percentile(latencies, 0.99);
        std::printf("scoring    one image: p50 %.3f ms, p99 %.3f ms (heatmap and reconstruction included)\n",
                    percentile(latencies, 0.5), percentile(latencies, 0.99));

        Clock::time_point start = Clock::now();
        model.score_values(test);
        const double throughput = test.size() / seconds_since(start);
        figures["test_set_images_per_second"] = throughput;
        std::printf("scoring    10,000 test images: %.0f img/s (%.2f s)\n", throughput, test.size() / throughput);

        ImageBatch few;
        few.pixels.assign(test.image(0), test.image(kSearchImages));
        ScoreParams search;
        search.mode = ScoreMode::LatentSearch;
        start = Clock::now();
        model.score_values(few, search);
        const double per_image = 1000 * seconds_since(start) / kSearchImages;
        figures["latent_search_ms_per_image"] = per_image;
        figures["latent_search_steps"] = search.search_steps;
        std::printf("AnoGAN     latent search, %d steps: %.1f ms per image (batch of %d)\n", search.search_steps,
                    per_image, kSearchImages);
        if (!json_path.empty()) std::ofstream(json_path) << figures.dump(2) << "\n";
    } catch (const Error& error) {
        std::fprintf(stderr, "oddigit-bench: error: %s\n", error.what());
        return 1;
    }
    return 0;
}
