#include "cli_support.h"

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "oddigit/error.h"
#ifdef ODDIGIT_HAVE_IMAGE_IO
#include "oddigit/canvas_calibration.h"
#endif

namespace oddigit::cli {

using nlohmann::json;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

std::string model_or_default(const std::string& path) { return path.empty() ? default_model_path() : path; }

std::string data_or_default(const std::string& dir) { return dir.empty() ? default_mnist_dir() : dir; }

void write_text(const std::string& path, const std::string& text) {
    std::ofstream out(path);
    out << text;
    out.close();
    if (!out) throw Error("cannot write '" + path + "'");
}

std::string progress_text(const TrainProgress& p) {
    char text[256];
    if (p.phase == TrainPhase::Gan)
        std::snprintf(text, sizeof text, "[GAN %d/%d] step %d/%d  D %.3f  G %.3f  %.0f img/s  ETA %s", p.epoch,
                      p.epochs, p.step, p.steps, p.discriminator_loss, p.generator_loss, p.images_per_second,
                      format_duration(p.eta_seconds).c_str());
    else if (p.phase == TrainPhase::Density)
        std::snprintf(text, sizeof text, "[feature density] chunk %d/%d  %.0f img/s  ETA %s", p.step, p.steps,
                      p.images_per_second, format_duration(p.eta_seconds).c_str());
    else
        std::snprintf(text, sizeof text, "[encoder %d/%d] step %d/%d  loss %.4f  %.0f img/s  ETA %s", p.epoch,
                      p.epochs, p.step, p.steps, p.encoder_loss, p.images_per_second,
                      format_duration(p.eta_seconds).c_str());
    return text;
}

NormalSplit training_split(const AnomalyModel& model, const std::string& model_path, const MnistSet& mnist,
                           double validation_fraction) {
    const json training = json::parse(model.info().training_json, nullptr, false);
    if (training.is_discarded() || !training.contains("seed") || !training.contains("validation_images"))
        throw Error("'" + model_path + "' does not record its training seed and validation set");
    const NormalSplit split = split_normal(mnist.train, model.info().normal_classes, validation_fraction,
                                           training.at("seed").get<uint64_t>());
    if (split.validation.size() != training.at("validation_images").get<int64_t>())
        throw Error("'" + model_path + "' held out " + training.at("validation_images").dump() +
                    " images, this split has " + std::to_string(split.validation.size()) +
                    ": pass the --validation-fraction it was trained with");
    return split;
}

void calibrate_canvas_where_built([[maybe_unused]] AnomalyModel& model, [[maybe_unused]] const ImageBatch& validation) {
#ifdef ODDIGIT_HAVE_IMAGE_IO
    calibrate_for_canvas(model, validation);
#else
    std::fprintf(stderr, "note: this build reads no images (ODDIGIT_IMAGE_IO off), so it cannot redraw digits for the "
                         "canvas calibration; drawings scored with this model use the MNIST thresholds\n");
#endif
}

}  // namespace oddigit::cli
