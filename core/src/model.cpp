#include "model_impl.h"

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
#include "oddigit/train.h"

namespace oddigit {

namespace {

constexpr const char* kFormatName = "oddigit-model";
constexpr const char* kFormatVersion = "1";
// Names the score a file's threshold and validation scores were computed for. Change it
// whenever the score changes, so older calibrations are not read on the wrong scale.
constexpr const char* kScoreName = "hottest-20-heat-pixels + kappa * discriminator-features";
// The terms a model with a digit head, and one with a feature density, adds to it.
constexpr const char* kDigitTerm = " + digit_weight * not-a-normal-digit";
constexpr const char* kDensityTerm = " + density_weight * density_scale * feature-density";
// The digit head's and the density's tensors, optional so that models from before them still load.
constexpr const char* kDigitHeadPrefix = "discriminator.digits.";
constexpr const char* kDensityPrefix = "density.";

bool in_digit_head(const std::string& tensor_name) { return tensor_name.rfind(kDigitHeadPrefix, 0) == 0; }
bool in_density(const std::string& tensor_name) { return tensor_name.rfind(kDensityPrefix, 0) == 0; }

// Whether the model holds the optional part a tensor belongs to (true for the others).
bool holds_part_of(const ModelInfo& info, const std::string& tensor_name) {
    return (info.knows_digits || !in_digit_head(tensor_name)) && (info.knows_density || !in_density(tensor_name));
}

// The score a model's calibration is for.
std::string score_name(const ModelInfo& info) {
    return std::string(kScoreName) + (info.knows_digits ? kDigitTerm : "") + (info.knows_density ? kDensityTerm : "");
}
// Bounds on the architecture a file may ask for, so a hostile header cannot make us
// allocate gigabytes before its tensor shapes are checked.
constexpr int kMaxLatentDim = 1024;
constexpr int kMaxWidth = 512;

const std::pair<const char*, torch::nn::Module& (*)(AnomalyModel::Impl&)> kNetworks[] = {
    {"generator", [](AnomalyModel::Impl& m) -> torch::nn::Module& { return *m.generator; }},
    {"discriminator", [](AnomalyModel::Impl& m) -> torch::nn::Module& { return *m.discriminator; }},
    {"encoder", [](AnomalyModel::Impl& m) -> torch::nn::Module& { return *m.encoder; }},
    {"density", [](AnomalyModel::Impl& m) -> torch::nn::Module& { return *m.density; }},
};

// Enough digits that parse_float() gives back the same float.
std::string exact_text(float value) {
    char text[32];
    std::snprintf(text, sizeof text, "%.*g", std::numeric_limits<float>::max_digits10, value);
    return text;
}

// Runs network forward passes in evaluation mode and restores the previous mode after.
class EvalModeGuard {
public:
    explicit EvalModeGuard(AnomalyModel::Impl& model)
        : model_(model),
          was_training_{model.generator->is_training(), model.discriminator->is_training(),
                        model.encoder->is_training()} {
        model.generator->eval();
        model.discriminator->eval();
        model.encoder->eval();
    }
    ~EvalModeGuard() {
        model_.generator->train(was_training_[0]);
        model_.discriminator->train(was_training_[1]);
        model_.encoder->train(was_training_[2]);
    }

private:
    AnomalyModel::Impl& model_;
    bool was_training_[3];
};

// Keeps a network's weights out of autograd for a scope, then restores their setting.
class FrozenGuard {
public:
    explicit FrozenGuard(torch::nn::Module& network)
        : network_(network), was_trainable_(network.parameters().front().requires_grad()) {
        detail::set_trainable(network, false);
    }
    ~FrozenGuard() { detail::set_trainable(network_, was_trainable_); }

private:
    torch::nn::Module& network_;
    bool was_trainable_;
};

// The L1 residuals of AnoGAN's latent search, per image.
struct SearchLoss {
    torch::Tensor pixel;    // R: sum |x - G(z)| on the [0, 1] scale
    torch::Tensor feature;  // D: sum |f(x) - f(G(z))|
};

SearchLoss search_loss(detail::DiscriminatorImpl& discriminator, const torch::Tensor& images,
                       const torch::Tensor& image_features, const torch::Tensor& generated) {
    const torch::Tensor pixel = ((images - generated).abs() * 0.5).flatten(1).sum(1);
    const torch::Tensor feature = (image_features - discriminator.forward(generated).features).abs().sum(1);
    return {pixel, feature};
}

// Scores of a [N,1,28,28] chunk; pixel_map holds the heatmaps.
struct ChunkScores {
    torch::Tensor score, pixel, feature, pixel_map, reconstruction;
    detail::DigitVerdict digits;
    torch::Tensor density;
};

ChunkScores score_chunk(AnomalyModel::Impl& model, const torch::Tensor& images, const ScoreParams& params) {
    if (params.mode == ScoreMode::Encoder) {
        torch::NoGradGuard no_grad;
        const torch::Tensor reconstruction = model.generator->forward(model.encoder->forward(images));
        detail::Residuals r = detail::residuals(model, images, reconstruction);
        return {r.score, r.pixel, r.feature, r.pixel_map, reconstruction, r.digits, r.density};
    }
    // AnoGAN: gradient descent on z from a random start; G and D stay fixed.
    FrozenGuard frozen_generator(*model.generator);
    FrozenGuard frozen_discriminator(*model.discriminator);
    torch::Tensor image_features, density;
    detail::DigitVerdict digits;
    {
        torch::NoGradGuard no_grad;
        const detail::Critique critique = model.discriminator->forward(images);
        image_features = critique.features;
        digits = detail::digit_verdict(critique.digit_logits, model.info);
        density = detail::feature_density(model, image_features);
    }
    auto generator = at::detail::createCPUGenerator(params.search_seed);
    torch::Tensor latent = torch::randn({images.size(0), model.info.architecture.latent_dim}, generator)
                               .to(model.device)
                               .requires_grad_(true);
    torch::optim::Adam optimizer({latent}, torch::optim::AdamOptions(params.search_learning_rate));
    const float lambda = params.search_lambda;
    for (int step = 0; step < params.search_steps; ++step) {
        SearchLoss loss = search_loss(*model.discriminator, images, image_features, model.generator->forward(latent));
        optimizer.zero_grad();
        ((1 - lambda) * loss.pixel + lambda * loss.feature).sum().backward();
        optimizer.step();
    }
    torch::NoGradGuard no_grad;
    const torch::Tensor reconstruction = model.generator->forward(latent);
    SearchLoss loss = search_loss(*model.discriminator, images, image_features, reconstruction);
    return {(1 - lambda) * loss.pixel + lambda * loss.feature, loss.pixel, loss.feature,
            detail::heatmaps(images, reconstruction), reconstruction, digits, density};
}

template <typename PerChunk>
void for_each_chunk(AnomalyModel::Impl& model, const ImageBatch& images, const ScoreParams& params,
                    PerChunk&& per_chunk) {
    EvalModeGuard eval(model);
    const int64_t chunk = std::max(1, params.batch_size);
    for (int64_t begin = 0; begin < images.size(); begin += chunk) {
        const int64_t count = std::min(chunk, images.size() - begin);
        ChunkScores scores = score_chunk(model, detail::to_tensor(images, begin, count, model.device), params);
        per_chunk(begin, count, scores);
    }
}

std::vector<float> to_vector(const torch::Tensor& tensor) {
    const torch::Tensor flat = tensor.detach().to(torch::kCPU, torch::kFloat).contiguous();
    return std::vector<float>(flat.data_ptr<float>(), flat.data_ptr<float>() + flat.numel());
}

}  // namespace

AnomalyModel::Impl::Impl(const Architecture& architecture, torch::Device device_)
    : device(device_),
      generator(architecture),
      discriminator(architecture),
      encoder(architecture),
      density(architecture) {
    info.architecture = architecture;
    to(device);
}

void AnomalyModel::Impl::to(torch::Device target) {
    device = target;
    generator->to(device);
    discriminator->to(device);
    encoder->to(device);
    density->to(device);
}

namespace detail {

float parse_float(const std::map<std::string, std::string>& metadata, const std::string& key,
                  const std::string& path, float lowest, float highest) {
    const auto found = metadata.find(key);
    if (found == metadata.end()) throw Error("'" + path + "' lacks the metadata '" + key + "'");
    char* end = nullptr;
    const float value = std::strtof(found->second.c_str(), &end);
    if (found->second.empty() || *end != '\0' || !std::isfinite(value))
        throw Error("'" + path + "': metadata '" + key + "' is not a number: '" + found->second + "'");
    if (value < lowest || value > highest)
        throw Error("'" + path + "': metadata '" + key + "' is " + found->second + ", outside [" +
                    exact_text(lowest) + ", " + exact_text(highest) + "]");
    return value;
}

int parse_int(const std::map<std::string, std::string>& metadata, const std::string& key, const std::string& path,
              int lowest, int highest) {
    const float value = parse_float(metadata, key, path, static_cast<float>(lowest), static_cast<float>(highest));
    if (value != std::floor(value))
        throw Error("'" + path + "': metadata '" + key + "' is not a whole number: '" + metadata.at(key) + "'");
    return static_cast<int>(value);
}

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

ImageBatch to_images(const torch::Tensor& images) {
    ImageBatch batch;
    batch.pixels = to_vector(((images + 1) * 0.5).clamp(0, 1));
    return batch;
}

namespace {

// (x - x')^2 on the [0, 1] scale, [N, 1, 28, 28].
torch::Tensor squared_residual(const torch::Tensor& images, const torch::Tensor& reconstructions) {
    return ((images - reconstructions) * 0.5).pow(2);
}

// mean (f(x) - f(x'))^2 per image; f(x) is a fixed target, only x' carries gradients.
torch::Tensor feature_residual(DiscriminatorImpl& discriminator, const torch::Tensor& image_features,
                               const torch::Tensor& reconstructions) {
    return (image_features.detach() - discriminator.forward(reconstructions).features).pow(2).mean(1);
}

}  // namespace

torch::Tensor heatmaps(const torch::Tensor& images, const torch::Tensor& reconstructions) {
    // Binomial taps (sigma about 1 pixel), summing to 1 so the heat keeps the residual's total.
    const torch::Tensor taps = torch::tensor({1.0f, 4.0f, 6.0f, 4.0f, 1.0f}, images.options()) / 16;
    const torch::Tensor kernel = torch::outer(taps, taps).view({1, 1, 5, 5});
    return torch::nn::functional::conv2d(squared_residual(images, reconstructions), kernel,
                                         torch::nn::functional::Conv2dFuncOptions().padding(2))
        .flatten(1);
}

DigitVerdict digit_verdict(const torch::Tensor& digit_logits, const ModelInfo& info) {
    const int64_t count = digit_logits.size(0);
    const auto long_options = digit_logits.options().dtype(torch::kLong);
    if (!info.knows_digits) return {torch::zeros({count}, digit_logits.options()), torch::full({count}, -1, long_options)};
    std::vector<int64_t> normal;
    for (int digit = 0; digit < 10; ++digit)
        if (info.normal_classes.contains(digit)) normal.push_back(digit);
    const torch::Tensor classes = torch::tensor(normal, long_options);
    const torch::Tensor normal_log_probabilities =
        torch::log_softmax(digit_logits, 1).index_select(1, classes);
    return {(-torch::logsumexp(normal_log_probabilities, 1)).clamp_min(0),
            classes.index_select(0, normal_log_probabilities.argmax(1))};
}

torch::Tensor feature_density(AnomalyModel::Impl& model, const torch::Tensor& features) {
    const ModelInfo& info = model.info;
    if (!info.knows_density) return torch::zeros({features.size(0)}, features.options());
    std::vector<int64_t> normal(detail::kDigits);
    for (int digit = 0; digit < detail::kDigits; ++digit) normal[digit] = info.normal_classes.contains(digit);
    const torch::Tensor classes = torch::tensor(normal).to(torch::kBool);
    return model.density->forward(features, classes);
}

Residuals residuals(AnomalyModel::Impl& model, const torch::Tensor& images, const torch::Tensor& reconstructions) {
    const ModelInfo& info = model.info;
    Residuals r;
    r.pixel_map = heatmaps(images, reconstructions);
    r.pixel = std::get<0>(r.pixel_map.topk(kHotPixels, 1)).mean(1);
    const Critique critique = model.discriminator->forward(images);
    r.feature = feature_residual(*model.discriminator, critique.features, reconstructions);
    r.digits = digit_verdict(critique.digit_logits, info);
    r.density = feature_density(model, critique.features);
    r.score = r.pixel + info.kappa * r.feature + info.digit_weight * r.digits.not_digit +
              info.density_weight * info.density_scale * r.density;
    return r;
}

torch::Tensor izif_loss(DiscriminatorImpl& discriminator, const torch::Tensor& images,
                        const torch::Tensor& reconstructions, float kappa) {
    return squared_residual(images, reconstructions).flatten(1).mean(1) +
           kappa * feature_residual(discriminator, discriminator.forward(images).features, reconstructions);
}

void set_trainable(torch::nn::Module& network, bool trainable) {
    for (torch::Tensor& parameter : network.parameters()) parameter.requires_grad_(trainable);
}

safetensors::Tensor to_safetensor(const torch::Tensor& tensor) {
    const torch::Tensor cpu = tensor.detach().to(torch::kCPU).contiguous();
    safetensors::Tensor result;
    if (cpu.scalar_type() == torch::kFloat)
        result.dtype = safetensors::DType::F32;
    else if (cpu.scalar_type() == torch::kLong)
        result.dtype = safetensors::DType::I64;
    else if (cpu.scalar_type() == torch::kByte)
        result.dtype = safetensors::DType::U8;
    else
        throw Error(std::string("cannot store a tensor of type ") + c10::toString(cpu.scalar_type()));
    result.shape = cpu.sizes().vec();
    const auto* begin = static_cast<const unsigned char*>(cpu.data_ptr());
    result.bytes.assign(begin, begin + cpu.nbytes());
    return result;
}

torch::Tensor from_safetensor(const safetensors::Tensor& tensor) {
    const auto type = tensor.dtype == safetensors::DType::F32   ? torch::kFloat
                      : tensor.dtype == safetensors::DType::I64 ? torch::kLong
                                                                : torch::kByte;
    torch::Tensor result = torch::empty(tensor.shape, type);
    // memcpy must not see the null pointers of empty buffers, even for zero bytes.
    if (!tensor.bytes.empty()) std::memcpy(result.data_ptr(), tensor.bytes.data(), tensor.bytes.size());
    return result;
}

safetensors::File to_file(const AnomalyModel& model) {
    AnomalyModel::Impl& impl = const_cast<AnomalyModel::Impl&>(model.impl());
    safetensors::File file;
    const ModelInfo& info = model.info();
    for (const auto& [prefix, network] : kNetworks) {
        torch::nn::Module& module = network(impl);
        auto put = [&file, &info, prefix = std::string(prefix) + "."](const std::string& key, const torch::Tensor& value) {
            const std::string name = prefix + key;
            if (holds_part_of(info, name)) file.tensors[name] = to_safetensor(value);
        };
        for (const auto& item : module.named_parameters()) put(item.key(), item.value());
        for (const auto& item : module.named_buffers()) put(item.key(), item.value());
    }
    file.tensors["calibration.validation_scores"] =
        safetensors::from_floats(info.validation_scores, {static_cast<int64_t>(info.validation_scores.size())});
    file.metadata = {
        {"oddigit.format", kFormatName},
        {"oddigit.format_version", kFormatVersion},
        {"oddigit.score", score_name(info)},
        {"oddigit.latent_dim", std::to_string(info.architecture.latent_dim)},
        {"oddigit.width", std::to_string(info.architecture.width)},
        {"oddigit.normal_classes", info.normal_classes.to_string()},
        {"oddigit.kappa", exact_text(info.kappa)},
        {"oddigit.threshold", exact_text(info.threshold)},
        {"oddigit.threshold_quantile", exact_text(info.threshold_quantile)},
        {"oddigit.training", info.training_json},
        {"oddigit.created_by", info.created_by},
    };
    if (info.knows_digits) file.metadata["oddigit.digit_weight"] = exact_text(info.digit_weight);
    if (info.knows_density) {
        file.metadata["oddigit.density_weight"] = exact_text(info.density_weight);
        file.metadata["oddigit.density_scale"] = exact_text(info.density_scale);
    }
    file.metadata["oddigit.heat_full_scale"] = exact_text(info.heat_full_scale);
    return file;
}

AnomalyModel from_file(const safetensors::File& file, const std::string& path,
                       const std::set<std::string>& extra_prefixes, StaleCalibration stale) {
    const auto& metadata = file.metadata;
    const auto format = metadata.find("oddigit.format");
    if (format == metadata.end() || format->second != kFormatName)
        throw Error("'" + path + "' is a safetensors file but not an Oddigit model (no oddigit.format metadata)");
    const auto version = metadata.find("oddigit.format_version");
    if (version == metadata.end() || version->second != kFormatVersion)
        throw Error("'" + path + "' has model format version '" +
                    (version == metadata.end() ? std::string("none") : version->second) + "'; this build reads " +
                    kFormatVersion);
    Architecture architecture;
    architecture.latent_dim = parse_int(metadata, "oddigit.latent_dim", path, 1, kMaxLatentDim);
    architecture.width = parse_int(metadata, "oddigit.width", path, 1, kMaxWidth);

    AnomalyModel model = AnomalyModel::create(architecture, 0);
    AnomalyModel::Impl& impl = model.impl();
    ModelInfo& info = impl.info;
    info.knows_digits = std::any_of(file.tensors.begin(), file.tensors.end(),
                                    [](const auto& entry) { return in_digit_head(entry.first); });
    info.knows_density = std::any_of(file.tensors.begin(), file.tensors.end(),
                                     [](const auto& entry) { return in_density(entry.first); });
    std::set<std::string> used;
    torch::NoGradGuard no_grad;
    for (const auto& [network_prefix, network] : kNetworks) {
        torch::nn::Module& module = network(impl);
        const char* prefix = network_prefix;  // C++17 lambdas cannot capture structured bindings
        auto load = [&](const std::string& key, torch::Tensor& target) {
            const std::string name = std::string(prefix) + "." + key;
            if (!holds_part_of(info, name)) return;
            const auto found = file.tensors.find(name);
            if (found == file.tensors.end()) throw Error("'" + path + "' lacks the tensor '" + name + "'");
            const torch::Tensor value = from_safetensor(found->second);
            if (value.sizes() != target.sizes() || value.scalar_type() != target.scalar_type())
                throw Error("'" + path + "': tensor '" + name + "' has shape " + c10::str(value.sizes()) + " " +
                            c10::toString(value.scalar_type()) + ", expected " + c10::str(target.sizes()) + " " +
                            c10::toString(target.scalar_type()));
            target.copy_(value);
            used.insert(name);
        };
        for (auto& item : module.named_parameters()) load(item.key(), item.value());
        for (auto& item : module.named_buffers()) load(item.key(), item.value());
    }
    const auto scores = file.tensors.find("calibration.validation_scores");
    if (scores == file.tensors.end() || scores->second.dtype != safetensors::DType::F32 ||
        scores->second.shape.size() != 1)
        throw Error("'" + path + "' lacks the 1-D float tensor 'calibration.validation_scores'");
    used.insert(scores->first);
    for (const auto& entry : file.tensors) {
        const std::string& name = entry.first;
        const bool extra = std::any_of(extra_prefixes.begin(), extra_prefixes.end(),
                                       [&](const std::string& p) { return name.rfind(p, 0) == 0; });
        if (!used.count(name) && !extra) throw Error("'" + path + "' holds an unexpected tensor '" + name + "'");
    }

    info.normal_classes = ClassSet::parse(metadata.count("oddigit.normal_classes") ? metadata.at("oddigit.normal_classes") : "");
    info.kappa = parse_float(metadata, "oddigit.kappa", path, 0.0f);
    if (info.knows_digits) info.digit_weight = parse_float(metadata, "oddigit.digit_weight", path, 0.0f);
    if (info.knows_density) {
        info.density_weight = parse_float(metadata, "oddigit.density_weight", path, 0.0f);
        info.density_scale = parse_float(metadata, "oddigit.density_scale", path, 0.0f);
    }
    info.threshold = parse_float(metadata, "oddigit.threshold", path);
    info.threshold_quantile = parse_float(metadata, "oddigit.threshold_quantile", path, 0.0f, 1.0f);
    info.heat_full_scale = metadata.count("oddigit.heat_full_scale")
                               ? parse_float(metadata, "oddigit.heat_full_scale", path, 0.0f)
                               : info.threshold;
    info.validation_scores = safetensors::to_floats(scores->second);
    std::sort(info.validation_scores.begin(), info.validation_scores.end());
    const auto score = metadata.find("oddigit.score");
    if (score == metadata.end() || score->second != score_name(info)) {
        if (stale == StaleCalibration::Reject)
            throw Error("'" + path + "' was calibrated for an older anomaly score; recalibrate it with "
                        "'oddigit-cli calibrate --model " + path + "' (or train it again)");
        info.threshold = 0.0f;
        info.heat_full_scale = 0.0f;
        info.validation_scores.clear();
    }
    if (metadata.count("oddigit.training")) info.training_json = metadata.at("oddigit.training");
    if (metadata.count("oddigit.created_by")) info.created_by = metadata.at("oddigit.created_by");
    return model;
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
        return detail::from_file(safetensors::read(path), path, {}, stale);
    } catch (const c10::Error& error) {
        throw Error("cannot load the model '" + path + "': " + error.what_without_backtrace());
    }
}

AnomalyModel AnomalyModel::clone() const {
    AnomalyModel copy = create(impl_->info.architecture, 0);
    copy.impl_->info = impl_->info;
    torch::NoGradGuard no_grad;
    for (const auto& [prefix, network] : kNetworks) {
        torch::nn::Module& source = network(*impl_);
        torch::nn::Module& target = network(*copy.impl_);
        auto source_parameters = source.named_parameters();
        for (auto& item : target.named_parameters()) item.value().copy_(source_parameters[item.key()]);
        auto source_buffers = source.named_buffers();
        for (auto& item : target.named_buffers()) item.value().copy_(source_buffers[item.key()]);
        target.train(source.is_training());
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
    for (const auto& [prefix, network] : kNetworks) {
        torch::nn::Module& module = network(*impl_);
        for (const auto& tensors : {module.named_parameters(), module.named_buffers()})
            for (const auto& item : tensors) {
                const torch::Tensor values = item.value().detach().to(torch::kCPU).contiguous();
                mix(item.key().data(), item.key().size());
                mix(values.data_ptr(), values.nbytes());
            }
    }
    mix(&impl_->info.threshold, sizeof impl_->info.threshold);
    mix(impl_->info.validation_scores.data(), impl_->info.validation_scores.size() * sizeof(float));
    return hash;
}

void AnomalyModel::save(const std::string& path) const {
    safetensors::write(path, detail::to_file(*this));
}

const ModelInfo& AnomalyModel::info() const { return impl_->info; }
ModelInfo& AnomalyModel::info() { return impl_->info; }

std::vector<ImageScore> AnomalyModel::score(const ImageBatch& images, const ScoreParams& params) const {
    std::vector<ImageScore> results(images.size());
    for_each_chunk(*impl_, images, params, [&](int64_t begin, int64_t count, const ChunkScores& chunk) {
        const std::vector<float> score = to_vector(chunk.score), pixel = to_vector(chunk.pixel),
                                 feature = to_vector(chunk.feature), heat = to_vector(chunk.pixel_map),
                                 not_digit = to_vector(chunk.digits.not_digit), density = to_vector(chunk.density);
        const torch::Tensor best_digit_tensor = chunk.digits.best_digit.to(torch::kCPU).contiguous();
        const int64_t* best_digit = best_digit_tensor.data_ptr<int64_t>();
        const ImageBatch reconstruction = detail::to_images(chunk.reconstruction);
        for (int64_t i = 0; i < count; ++i) {
            ImageScore& result = results[begin + i];
            result.score = score[i];
            result.pixel_residual = pixel[i];
            result.feature_residual = feature[i];
            result.not_digit = not_digit[i];
            result.best_digit = static_cast<int>(best_digit[i]);
            result.feature_density = density[i];
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
    for_each_chunk(*impl_, images, params, [&](int64_t, int64_t, const ChunkScores& chunk) {
        const std::vector<float> values = to_vector(chunk.score);
        scores.insert(scores.end(), values.begin(), values.end());
    });
    return scores;
}

std::vector<float> AnomalyModel::encode(const ImageBatch& images) const {
    EvalModeGuard eval(*impl_);
    torch::NoGradGuard no_grad;
    std::vector<float> latents;
    constexpr int64_t kChunk = 1024;
    for (int64_t begin = 0; begin < images.size(); begin += kChunk) {
        const int64_t count = std::min(kChunk, images.size() - begin);
        const std::vector<float> codes = to_vector(impl_->encoder->forward(detail::to_tensor(images, begin, count, impl_->device)));
        latents.insert(latents.end(), codes.begin(), codes.end());
    }
    return latents;
}

ImageBatch AnomalyModel::generate(const std::vector<float>& latents) const {
    const int64_t dim = impl_->info.architecture.latent_dim;
    if (latents.size() % dim != 0)
        throw Error("latent codes must come in groups of " + std::to_string(dim) + " values");
    EvalModeGuard eval(*impl_);
    torch::NoGradGuard no_grad;
    const torch::Tensor z = torch::from_blob(const_cast<float*>(latents.data()),
                                             {static_cast<int64_t>(latents.size()) / dim, dim}, torch::kFloat)
                                .to(impl_->device);
    return detail::to_images(impl_->generator->forward(z));
}

double AnomalyModel::validation_percentile(float score) const {
    const auto& scores = impl_->info.validation_scores;
    if (scores.empty()) return 0.0;
    return static_cast<double>(std::lower_bound(scores.begin(), scores.end(), score) - scores.begin()) / scores.size();
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
