#include "cli_support.h"

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "oddigit/calibration.h"
#include "oddigit/error.h"
#include "oddigit/runtime.h"
#include "oddigit/score.h"
#ifdef ODDIGIT_HAVE_IMAGE_IO
#include "oddigit/canvas_calibration.h"
#include "oddigit/training_run.h"
#endif

namespace oddigit::cli {

using nlohmann::json;

void add_threads_option(CLI::App& command, int& threads) {
    command.add_option("--threads", threads, "CPU threads for LibTorch (0: $OMP_NUM_THREADS if set, else all cores; training tunes the count to the machine's load, a fixed count gives reproducible weights)")->check(CLI::NonNegativeNumber);
}

void add_data_option(CLI::App& command, std::string& dir) {
    command.add_option("--data", dir, "folder with the four MNIST files (default: " + default_mnist_dir() + ")");
}

void add_data_options(CLI::App& command, DataOptions& options, const std::string& what) {
    add_data_option(command, options.mnist_dir);
    command.add_option("--images", options.images_dir,
                       "a folder of images " + what + " instead of MNIST: one subfolder per class (or one class's "
                       "images in the folder itself), preprocessed as score preprocesses files")
        ->check(CLI::ExistingDirectory);
    command.add_flag("--as-is", options.as_is, "with --images: the images are 28x28 in MNIST framing already; take them unchanged");
}

namespace {

LabelledData folder_data(const DataSource& source) {
#ifdef ODDIGIT_HAVE_IMAGE_IO
    SourceImages folder = load_source_images(source, {});
    return {std::move(folder.images), std::move(folder.class_names), source};
#else
    throw Error("reading an image folder (" + source.folder + ") needs a build with ODDIGIT_IMAGE_IO");
#endif
}

}  // namespace

DataSource source_of(const DataOptions& options) {
    if (!options.images_dir.empty()) return DataSource::image_folder(options.images_dir, options.as_is);
    if (options.as_is) throw Error("--as-is goes with --images");
    return DataSource::mnist();
}

LabelledData load_data(const DataOptions& options, MnistPart part) {
    return load_data(source_of(options), options.mnist_dir, part);
}

LabelledData load_data(const DataSource& source, const std::string& mnist_dir, MnistPart part) {
    if (source.is_folder()) return folder_data(source);
    const std::string dir = data_or_default(mnist_dir);
    return {part == MnistPart::Train ? load_mnist(dir).train : load_mnist_test(dir), {}, source};
}

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

std::string weight_option(ShapeTerm term) { return std::string("--") + names_of(term).key + "-weight"; }

std::string weight_help(ShapeTerm term) {
    return std::string("weight in the score's shape channel of ") + names_of(term).meaning;
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
    command.add_option("--kappa", params.terms.kappa, "weight of the discriminator-feature residual")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    for (ShapeTerm term : kShapeTerms)
        command.add_option(weight_option(term), params.terms[term].weight, weight_help(term))
            ->check(CLI::NonNegativeNumber)
            ->capture_default_str();
    add_reader_settings(command, params.reader);
    command.add_option("--shape-share", params.shape_share,
                       "the shape channel's share of the held-out images the calibration flags (0.5: as many as the "
                       "stroke channel's)")
        ->check(CLI::Range(0.05, 0.95))
        ->capture_default_str();
    command.add_option("--latent-dim", params.architecture.latent_dim, "length of z")->check(CLI::Range(1, 1024))->capture_default_str();
    command.add_option("--width", params.architecture.width, "channels of the first conv layer")
        ->check(CLI::Range(1, 512))
        ->capture_default_str();
    add_device_option(command, params.device);
}

void add_reader_settings(CLI::App& command, ReaderParams& params) {
    command.add_option("--reader-epochs", params.epochs, "epochs of the digit readers, after the encoder (0: none; a "
                                                         "model of one class has none)")
        ->check(CLI::Range(0, 100000))
        ->capture_default_str();
#ifdef ODDIGIT_HAVE_IMAGE_IO
    // The bank also holds training digits as other scanning pipelines give them (a build
    // without image IO cannot make them, and banks the training digits alone).
    params.bank_rescans = true;
#endif
}

void add_score_settings(CLI::App& command, ScoreParams& params) {
    static const std::map<std::string, ScoreMode> modes = {{"encoder", ScoreMode::Encoder}, {"search", ScoreMode::LatentSearch}};
    command.add_option("--mode", params.mode, "encoder (fast, f-AnoGAN) or search (AnoGAN latent search)")
        ->transform(CLI::CheckedTransformer(modes, CLI::ignore_case));
    command.add_option("--search-steps", params.search_steps, "latent-search iterations")
        ->check(CLI::Range(1, 100000))
        ->capture_default_str();
}

std::vector<int> class_list(const ClassSet& classes) {
    std::vector<int> list;
    for (int c = 0; c < classes.size(); ++c)
        if (classes.contains(c)) list.push_back(c);
    return list;
}

std::string model_or_default(const std::string& path) { return path.empty() ? default_model_path() : path; }

std::string data_or_default(const std::string& dir) { return dir.empty() ? default_mnist_dir() : dir; }

std::string progress_text(const TrainProgress& p) {
    char text[256];
    if (p.phase == TrainPhase::Gan)
        std::snprintf(text, sizeof text, "[GAN %d/%d] step %d/%d  D %.3f  G %.3f  %.0f img/s  ETA %s", p.epoch,
                      p.epochs, p.step, p.steps, p.discriminator_loss, p.generator_loss, p.images_per_second,
                      format_duration(p.eta_seconds).c_str());
    else if (p.phase == TrainPhase::Density)
        std::snprintf(text, sizeof text, "[feature density] chunk %d/%d  %.0f img/s  ETA %s", p.step, p.steps,
                      p.images_per_second, format_duration(p.eta_seconds).c_str());
    else if (p.phase == TrainPhase::Encoder)
        std::snprintf(text, sizeof text, "[encoder %d/%d] step %d/%d  loss %.4f  %.0f img/s  ETA %s", p.epoch,
                      p.epochs, p.step, p.steps, p.encoder_loss, p.images_per_second,
                      format_duration(p.eta_seconds).c_str());
    else
        std::snprintf(text, sizeof text, "[readers %d/%d] step %d/%d  loss %.4f  %.0f img/s  ETA %s", p.epoch,
                      p.epochs, p.step, p.steps, p.reader_loss, p.images_per_second,
                      format_duration(p.eta_seconds).c_str());
    return text;
}

NormalSplit training_split(const AnomalyModel& model, const std::string& model_path, const std::string& mnist_dir,
                           double validation_fraction) {
    const json training = json::parse(model.info().training_json, nullptr, false);
    if (training.is_discarded() || !training.contains("seed") || !training.contains("validation_images"))
        throw Error("'" + model_path + "' does not record its training seed and validation set");
    const LabelledData data = load_data(model.info().data_source, mnist_dir, MnistPart::Train);
    const NormalSplit split = split_normal(data.images, model.info().normal_classes, validation_fraction,
                                           training.at("seed").get<uint64_t>());
    if (split.validation.size() != training.at("validation_images").get<int64_t>())
        throw Error("'" + model_path + "' held out " + training.at("validation_images").dump() +
                    " images, this split has " + std::to_string(split.validation.size()) +
                    ": pass the --validation-fraction it was trained with");
    return split;
}

void calibrate_and_save(AnomalyModel& model, const ImageBatch& validation, const std::string& path) {
#ifdef ODDIGIT_HAVE_IMAGE_IO
    calibrate_all(model, validation, redraw_as_drawn(validation));
#else
    calibrate_all(model, validation, {});
    note_no_canvas_calibration();
#endif
    model.save(path);
}

void note_no_canvas_calibration() {
    std::fprintf(stderr, "note: this build reads no images (ODDIGIT_IMAGE_IO off), so it cannot redraw digits for the "
                         "canvas calibration; drawings scored with this model use the MNIST thresholds\n");
}

std::string thresholds_text(const ModelInfo& info) {
    const auto pair = [](const Calibration& calibration) {
        char text[96];
        std::snprintf(text, sizeof text, "stroke %.5f, shape %.5f", calibration.stroke, calibration.shape);
        return std::string(text);
    };
    std::string text = pair(info.mnist);
    if (info.canvas.is_set())
        text += "; for drawings (the held-out images redrawn as the canvas draws them): " + pair(info.canvas);
    return text;
}

}  // namespace oddigit::cli
