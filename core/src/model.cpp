#include "model_impl.h"

#include "model_file.h"
#include "score/latent_search.h"
#include "score/terms.h"

#include <algorithm>
#include <filesystem>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <limits>
#include <mutex>
#include <optional>

#include <torch/cuda.h>
#include <torch/nn/functional.h>

#include "oddigit/error.h"
#include "oddigit/score.h"
#include "oddigit/train.h"

namespace oddigit {

namespace {

detail::ScoredChunk score_chunk(AnomalyModel::Impl& model, const torch::Tensor& images, const ScoreParams& params) {
    if (params.mode == ScoreMode::LatentSearch) return detail::latent_search(model, images, params);
    torch::NoGradGuard no_grad;
    const torch::Tensor reconstruction = model.generator->forward(model.encoder->forward(images));
    return detail::score_reconstructions(model, images, reconstruction, calibration_for(model.info, params.input));
}

template <typename PerChunk>
void for_each_chunk(AnomalyModel::Impl& model, const ImageBatch& images, const ScoreParams& params,
                    PerChunk&& per_chunk) {
    const int64_t chunk = std::max(1, params.batch_size);
    for (int64_t begin = 0; begin < images.size(); begin += chunk) {
        const int64_t count = std::min(chunk, images.size() - begin);
        detail::ScoredChunk scores = score_chunk(model, detail::to_tensor(images, begin, count, model.device), params);
        per_chunk(begin, count, scores);
    }
}

}  // namespace

AnomalyModel::Impl::Impl(const Architecture& architecture, torch::Device device_)
    : device(device_),
      generator(architecture),
      discriminator(architecture),
      encoder(architecture),
      density(architecture),
      reader(architecture.readers, architecture.classes, architecture.reader_features) {
    info.architecture = architecture;
    info.normal_classes = ClassSet::all(architecture.classes);
    to(device);
    set_inference();
}

std::array<std::pair<const char*, torch::nn::Module*>, 5> AnomalyModel::Impl::modules() {
    return {{{"generator", generator.ptr().get()},
             {"discriminator", discriminator.ptr().get()},
             {"encoder", encoder.ptr().get()},
             {"density", density.ptr().get()},
             {"reader", reader.ptr().get()}}};
}

void AnomalyModel::Impl::set_inference() {
    for (const auto& [prefix, module] : modules()) {
        module->eval();
        detail::set_trainable(*module, false);
    }
}

void AnomalyModel::Impl::to(torch::Device target) {
    device = target;
    generator->to(device);
    discriminator->to(device);
    encoder->to(device);
    density->to(device);
    reader->to(device);
}

namespace detail {

torch::Device usable_device(const std::string& name) {
    std::optional<torch::Device> device;
    try {
        device = torch::Device(name);
    } catch (const c10::Error&) {
        throw Error("unknown device '" + name + "' (cpu, cuda or cuda:N)");
    }
    if (!device->is_cuda() && !device->is_cpu()) throw Error("unsupported device '" + name + "' (cpu, cuda or cuda:N)");
    const int gpus = static_cast<int>(torch::cuda::device_count());
    if (device->is_cuda() && (!torch::cuda::is_available() || (device->has_index() && device->index() >= gpus)))
        throw Error("no CUDA device '" + name + "' here (" + std::to_string(gpus) +
                    " found; a CPU-only LibTorch finds none)");
    return *device;
}

torch::Tensor to_tensor(const ImageBatch& images, int64_t begin, int64_t count, torch::Device device) {
    const torch::Tensor pixels =
        torch::from_blob(const_cast<float*>(images.image(begin)), {count, 1, kImageSide, kImageSide}, torch::kFloat);
    return (pixels * 2 - 1).to(device);
}

std::vector<float> to_vector(const torch::Tensor& tensor) {
    const torch::Tensor flat = tensor.detach().to(torch::kCPU, torch::kFloat).contiguous();
    return std::vector<float>(flat.data_ptr<float>(), flat.data_ptr<float>() + flat.numel());
}

ImageBatch to_images(const torch::Tensor& images) {
    ImageBatch batch;
    batch.pixels = detail::to_vector(((images + 1) * 0.5).clamp(0, 1));
    return batch;
}

void set_trainable(torch::nn::Module& network, bool trainable) {
    for (torch::Tensor& parameter : network.parameters()) parameter.requires_grad_(trainable);
}

}  // namespace detail

AnomalyModel::AnomalyModel(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AnomalyModel::AnomalyModel(AnomalyModel&&) noexcept = default;
AnomalyModel& AnomalyModel::operator=(AnomalyModel&&) noexcept = default;
AnomalyModel::~AnomalyModel() = default;

AnomalyModel AnomalyModel::create(const Architecture& architecture, uint64_t seed) {
    // Module construction draws initial weights from LibTorch's global generator: one
    // model at a time, so a copy made in another thread cannot disturb a seeded start.
    static std::mutex construction;
    std::lock_guard<std::mutex> lock(construction);
    torch::manual_seed(seed);
    auto impl = std::make_unique<Impl>(architecture, torch::Device(torch::kCPU));
    impl->info.created_by = std::string("oddigit ") + ODDIGIT_VERSION;
    return AnomalyModel(std::move(impl));
}

AnomalyModel AnomalyModel::load(const std::string& path, StaleCalibration stale) {
    try {
        const safetensors::File file = safetensors::read(path);
        // A resume file holds a model and the optimizers' state beside it: said as such, not as
        // a model with unexpected tensors.
        if (file.metadata.count(detail::kResumeSettingsKey))
            throw Error("'" + path + "' is a training's resume file, not a model: open the model written beside it, or "
                        "resume the training from it");
        return detail::from_file(file, path, {}, stale);
    } catch (const c10::Error& error) {
        throw Error("cannot load the model '" + path + "': " + error.what_without_backtrace());
    }
}

AnomalyModel AnomalyModel::clone() const {
    AnomalyModel copy = create(impl_->info.architecture, 0);
    copy.impl_->info = impl_->info;
    torch::NoGradGuard no_grad;
    copy.impl_->reader->set_bank(impl_->reader->bank());  // the one tensor whose shape varies
    const auto sources = impl_->modules();
    const auto targets = copy.impl_->modules();
    for (size_t i = 0; i < targets.size(); ++i) {
        torch::nn::Module& source = *sources[i].second;
        torch::nn::Module& target = *targets[i].second;
        auto source_parameters = source.named_parameters();
        for (auto& item : target.named_parameters()) item.value().copy_(source_parameters[item.key()]);
        auto source_buffers = source.named_buffers();
        for (auto& item : target.named_buffers()) item.value().copy_(source_buffers[item.key()]);
    }
    return copy;
}

void AnomalyModel::set_device(const std::string& device) { impl_->to(detail::usable_device(device)); }

uint64_t AnomalyModel::fingerprint() const {
    constexpr uint64_t kOffsetBasis = 14695981039346656037ull;
    constexpr uint64_t kPrime = 1099511628211ull;
    uint64_t hash = kOffsetBasis;
    const auto mix = [&](const void* data, size_t bytes) {
        for (size_t b = 0; b < bytes; ++b) hash = (hash ^ static_cast<const unsigned char*>(data)[b]) * kPrime;
    };
    for (const auto& [prefix, network] : impl_->modules()) {
        torch::nn::Module& module = *network;
        for (const auto& tensors : {module.named_parameters(), module.named_buffers()})
            for (const auto& item : tensors) {
                const torch::Tensor values = item.value().detach().to(torch::kCPU).contiguous();
                mix(item.key().data(), item.key().size());
                mix(values.data_ptr(), values.nbytes());
            }
    }
    const ModelInfo& info = impl_->info;
    mix(&info.reader_term, sizeof info.reader_term);
    mix(&info.terms.kappa, sizeof info.terms.kappa);
    for (ShapeTerm term : kShapeTerms)
        if (measures(info, term)) mix(&info.terms[term], sizeof info.terms[term]);
    for (const float* value : {&info.reader_offset, &info.threshold_quantile, &info.shape_share}) mix(value, sizeof *value);
    for (const Calibration* calibration : {&info.mnist, &info.canvas}) {
        for (const float* value : {&calibration->stroke, &calibration->shape, &calibration->heat_full_scale,
                                   &calibration->channel_quantile})
            mix(value, sizeof *value);
        for (const auto* values : {&calibration->validation_stroke, &calibration->validation_shape})
            mix(values->data(), values->size() * sizeof(float));
    }
    return hash;
}

void AnomalyModel::save(const std::string& path) const {
    safetensors::write(path, detail::to_file(*this));
}

const ModelInfo& AnomalyModel::info() const { return impl_->info; }
ModelInfo& AnomalyModel::info() { return impl_->info; }

std::vector<ImageScore> AnomalyModel::score(const ImageBatch& images, const ScoreParams& params) const {
    std::vector<ImageScore> results(images.size());
    for_each_chunk(*impl_, images, params, [&](int64_t begin, int64_t count, const detail::ScoredChunk& chunk) {
        const std::vector<float> score = detail::to_vector(chunk.score), pixel = detail::to_vector(chunk.pixel_residual),
                                 stroke_ratio = detail::to_vector(chunk.stroke_ratio),
                                 shape_ratio = detail::to_vector(chunk.shape_ratio),
                                 feature = detail::to_vector(chunk.feature_residual), heat = detail::to_vector(chunk.pixel_map),
                                 not_digit = detail::to_vector(chunk.digits.not_digit),
                                 density = detail::to_vector(chunk.density), realness = detail::to_vector(chunk.realness),
                                 reader = detail::to_vector(chunk.reader);
        const torch::Tensor best_digit_tensor = chunk.digits.best_class.to(torch::kCPU).contiguous();
        const int64_t* best_class = best_digit_tensor.data_ptr<int64_t>();
        const ImageBatch reconstruction = detail::to_images(chunk.reconstruction);
        for (int64_t i = 0; i < count; ++i) {
            ImageScore& result = results[begin + i];
            result.score = score[i];
            result.stroke_ratio = stroke_ratio[i];
            result.shape_ratio = shape_ratio[i];
            result.pixel_residual = pixel[i];
            result.feature_residual = feature[i];
            result.not_digit = not_digit[i];
            result.best_class = static_cast<int>(best_class[i]);
            result.feature_density = density[i];
            result.realness = realness[i];
            result.reader = reader[i];
            std::copy_n(heat.begin() + i * kImagePixels, kImagePixels, result.heatmap.begin());
            result.reconstruction = reconstruction.at(i);
        }
    });
    return results;
}

ImageScore AnomalyModel::score(const Image28& image, const ScoreParams& params) const {
    ImageBatch batch;
    batch.append(image.data());
    return std::move(score(batch, params).front());
}

std::vector<float> AnomalyModel::score_values(const ImageBatch& images, const ScoreParams& params) const {
    std::vector<float> scores;
    scores.reserve(images.size());
    for_each_chunk(*impl_, images, params, [&](int64_t, int64_t, const detail::ScoredChunk& chunk) {
        const std::vector<float> values = detail::to_vector(chunk.score);
        scores.insert(scores.end(), values.begin(), values.end());
    });
    return scores;
}

std::vector<float> AnomalyModel::encode(const ImageBatch& images) const {
    torch::NoGradGuard no_grad;
    std::vector<float> latents;
    constexpr int64_t kChunk = 1024;
    for (int64_t begin = 0; begin < images.size(); begin += kChunk) {
        const int64_t count = std::min(kChunk, images.size() - begin);
        const std::vector<float> codes = detail::to_vector(impl_->encoder->forward(detail::to_tensor(images, begin, count, impl_->device)));
        latents.insert(latents.end(), codes.begin(), codes.end());
    }
    return latents;
}

ImageBatch AnomalyModel::generate(const std::vector<float>& latents) const {
    const int64_t dim = impl_->info.architecture.latent_dim;
    if (latents.size() % dim != 0)
        throw Error("latent codes must come in groups of " + std::to_string(dim) + " values");
    torch::NoGradGuard no_grad;
    const torch::Tensor z = torch::from_blob(const_cast<float*>(latents.data()),
                                             {static_cast<int64_t>(latents.size()) / dim, dim}, torch::kFloat)
                                .to(impl_->device);
    return detail::to_images(impl_->generator->forward(z));
}

const Calibration& calibration_for(const ModelInfo& info, InputKind input) {
    return input == InputKind::Drawn && info.canvas.is_set() ? info.canvas : info.mnist;
}

void Calibration::update_validation_scores() {
    stroke_tail = detail::channel_tail(validation_stroke);
    shape_tail = detail::channel_tail(validation_shape);
    validation_scores = detail::to_vector(
        detail::fused_score(*this, torch::tensor(validation_stroke), torch::tensor(validation_shape)));
    std::sort(validation_scores.begin(), validation_scores.end());
}

double Calibration::percentile(float score) const {
    if (validation_scores.empty()) return 0.0;
    return static_cast<double>(std::lower_bound(validation_scores.begin(), validation_scores.end(), score) -
                               validation_scores.begin()) /
           validation_scores.size();
}

std::string default_model_path() {
    if (const char* path = std::getenv("ODDIGIT_MODEL"); path && *path) return path;
    for (const std::string dir : {ODDIGIT_SOURCE_RESOURCES, ODDIGIT_INSTALL_RESOURCES}) {
        const std::string path = dir + "/default.safetensors";
        if (std::filesystem::is_regular_file(path)) return path;
    }
    throw Error("the bundled default model (resources/default.safetensors) was not found; pass --model");
}

}  // namespace oddigit
