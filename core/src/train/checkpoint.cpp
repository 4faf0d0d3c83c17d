#include "checkpoint.h"

#include <cstring>
#include <filesystem>
#include <set>
#include <unistd.h>

#include "model_file.h"
#include "train/params.h"
#include "oddigit/error.h"

namespace oddigit::detail {

namespace {

using nlohmann::json;

// Adam's momentum terms for the GAN, as in DCGAN (Radford et al. 2016).
constexpr double kGanBeta1 = 0.5;
constexpr double kGanBeta2 = 0.999;
// Bound on the epoch counts a resume file may claim.
constexpr int kMaxEpochs = 1000000;
// A density fit stopped partway: its sums, as FeatureDensityImpl::sums() gives them.
constexpr const char* kDensitySums[] = {"fit.density.count", "fit.density.sum", "fit.density.outer_sum"};
// Bound on the image count a resume file may claim for them.
constexpr int kMaxDensityImages = 1 << 30;
// Tensors of a resume file beside the model's: the optimizers', the noise stream's, the fit's.
const std::set<std::string> kResumeStates = {"optimizer.", "rng.", "fit."};
// Between the creator of a model's encoder and that of the GAN it was trained on, when they differ.
constexpr const char* kGanCreatorMark = " (GAN: ";

std::string optimizer_key(const torch::Tensor& parameter) {
    return c10::guts::to_string(parameter.unsafeGetTensorImpl());
}

void put_optimizer(safetensors::File& file, const std::string& prefix, torch::optim::Adam& optimizer,
                   torch::nn::Module& network) {
    for (const auto& item : network.named_parameters()) {
        const auto found = optimizer.state().find(optimizer_key(item.value()));
        if (found == optimizer.state().end()) continue;
        const auto& state = static_cast<const torch::optim::AdamParamState&>(*found->second);
        const std::string name = prefix + item.key();
        file.tensors[name + ".exp_avg"] = to_safetensor(state.exp_avg());
        file.tensors[name + ".exp_avg_sq"] = to_safetensor(state.exp_avg_sq());
        file.tensors[name + ".step"] = to_safetensor(torch::tensor({state.step()}, torch::kLong));
    }
}

void take_optimizer(const safetensors::File& file, const std::string& prefix, torch::optim::Adam& optimizer,
                    torch::nn::Module& network, const std::string& path) {
    for (const auto& item : network.named_parameters()) {
        const std::string name = prefix + item.key();
        if (!file.tensors.count(name + ".exp_avg")) continue;
        auto take = [&](const std::string& suffix, c10::IntArrayRef shape) {
            const auto found = file.tensors.find(name + suffix);
            if (found == file.tensors.end()) throw Error("'" + path + "' lacks the tensor '" + name + suffix + "'");
            torch::Tensor value = from_safetensor(found->second);
            if (value.sizes() != shape) throw Error("'" + path + "': tensor '" + name + suffix + "' has the wrong shape");
            return value;
        };
        auto state = std::make_unique<torch::optim::AdamParamState>();
        const torch::Tensor& parameter = item.value();
        state->exp_avg(take(".exp_avg", parameter.sizes()).to(parameter.device()));
        state->exp_avg_sq(take(".exp_avg_sq", parameter.sizes()).to(parameter.device()));
        state->step(take(".step", {1}).item<int64_t>());
        optimizer.state()[optimizer_key(parameter)] = std::move(state);
    }
}

// The release that trained a model's GAN: the one named after kGanCreatorMark in a model
// whose encoder was trained on an older GAN, else the model's creator.
std::string gan_creator(const std::string& created_by) {
    const size_t mark = created_by.find(kGanCreatorMark);
    if (mark == std::string::npos || created_by.back() != ')') return created_by;
    const size_t begin = mark + std::strlen(kGanCreatorMark);
    return created_by.substr(begin, created_by.size() - 1 - begin);
}

json saved_settings(const safetensors::File& file, const std::string& path) {
    const auto settings = file.metadata.find(kResumeSettingsKey);
    if (settings == file.metadata.end())
        throw Error("'" + path + "' is not a resume file (it has no oddigit.resume.settings)");
    try {
        return json::parse(settings->second);
    } catch (const json::exception&) {
        throw Error("'" + path + "': damaged oddigit.resume.settings");
    }
}

// The epochs a resume file says its run has done, and the images its density fit has seen.
EpochsDone epochs_done(const safetensors::File& file, const std::string& path) {
    EpochsDone done;
    done.gan = parse_int(file.metadata, "oddigit.resume.gan_epochs_done", path, 0, kMaxEpochs);
    done.encoder = parse_int(file.metadata, "oddigit.resume.encoder_epochs_done", path, 0, kMaxEpochs);
    if (file.metadata.count("oddigit.resume.reader_epochs_done"))
        done.reader = parse_int(file.metadata, "oddigit.resume.reader_epochs_done", path, 0, kMaxEpochs);
    if (file.metadata.count("oddigit.resume.density_images"))
        done.density_images = parse_int(file.metadata, "oddigit.resume.density_images", path, 1, kMaxDensityImages);
    return done;
}

}  // namespace

json fixed_settings(const TrainParams& params, int64_t train_count) {
    json settings = {{"latent_dim", params.architecture.latent_dim}, {"width", params.architecture.width},
                     {"normal_classes", params.normal_classes.to_string()}, {"batch_size", params.batch_size},
                     {"seed", params.seed}, {"train_images", train_count}, {"digit_head", true}};
    // Only for an image folder's classes, so resume files of MNIST models stay valid.
    if (!params.normal_classes.class_names().empty()) settings["class_names"] = params.normal_classes.class_names();
    // Only when distributed, so resume files from one process stay valid.
    if (params.distributed.world_size > 1) settings["world_size"] = params.distributed.world_size;
    // Only for a model with readers, so resume files from before them stay valid.
    if (params.architecture.readers > 0)
        settings.update({{"readers", params.architecture.readers},
                         {"reader_term", static_cast<int>(params.reader.term)},
                         {"reader_negatives", static_cast<int>(params.reader.negatives)},
                         {"reader_scanner_variation", params.reader.scanner_variation},
                         {"reader_bank_variations", params.reader.bank_rescans}});
    // Only when set, so resume files of 0.8's readers stay valid.
    if (params.architecture.readers > 0 && params.reader.features != 128) settings["reader_features"] = params.reader.features;
    if (params.architecture.readers > 0 && params.reader.contrastive) settings["reader_contrastive"] = true;
    return settings;
}

double output_claim(const std::string& output_path) {
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    std::error_code error;
    std::filesystem::path file = std::filesystem::weakly_canonical(output_path, error);
    if (error) file = std::filesystem::absolute(output_path).lexically_normal();
    const std::string where = std::string(host) + '\n' + file.string();
    uint64_t hash = 14695981039346656037ull;  // FNV-1a
    for (unsigned char c : where) hash = (hash ^ c) * 1099511628211ull;
    return static_cast<double>((hash >> 11) | 1);
}

Optimizers make_optimizers(AnomalyModel::Impl& model, const TrainParams& params) {
    const auto gan_options = torch::optim::AdamOptions(params.gan_learning_rate).betas({kGanBeta1, kGanBeta2});
    Optimizers optimizers;
    optimizers.generator = std::make_unique<torch::optim::Adam>(model.generator->parameters(), gan_options);
    optimizers.discriminator = std::make_unique<torch::optim::Adam>(model.discriminator->parameters(), gan_options);
    optimizers.encoder = std::make_unique<torch::optim::Adam>(model.encoder->parameters(),
                                                              torch::optim::AdamOptions(params.encoder_learning_rate));
    if (model.reader->count() > 0)
        optimizers.reader = std::make_unique<torch::optim::Adam>(model.reader->parameters(),
                                                                 torch::optim::AdamOptions(params.reader.learning_rate));
    return optimizers;
}

void write_resume(const std::string& path, const AnomalyModel& model, const Optimizers& optimizers,
                  const at::Generator& noise, const json& settings, EpochsDone done) {
    safetensors::File file = to_file(model);
    auto& impl = const_cast<AnomalyModel::Impl&>(model.impl());
    put_optimizer(file, "optimizer.generator.", *optimizers.generator, *impl.generator);
    put_optimizer(file, "optimizer.discriminator.", *optimizers.discriminator, *impl.discriminator);
    put_optimizer(file, "optimizer.encoder.", *optimizers.encoder, *impl.encoder);
    if (optimizers.reader) put_optimizer(file, "optimizer.reader.", *optimizers.reader, *impl.reader);
    file.tensors["rng.noise"] = to_safetensor(noise.get_state());
    file.metadata[kResumeSettingsKey] = settings.dump();
    file.metadata["oddigit.resume.gan_epochs_done"] = std::to_string(done.gan);
    file.metadata["oddigit.resume.encoder_epochs_done"] = std::to_string(done.encoder);
    file.metadata["oddigit.resume.reader_epochs_done"] = std::to_string(done.reader);
    if (done.density_images > 0) {
        const std::vector<torch::Tensor> sums = impl.density->sums();
        for (size_t i = 0; i < sums.size(); ++i) file.tensors[kDensitySums[i]] = to_safetensor(sums[i]);
        file.metadata["oddigit.resume.density_images"] = std::to_string(done.density_images);
    }
    safetensors::write(path, file);
}

ResumeFile read_resume(const std::string& path, const json& wanted) {
    safetensors::File file = safetensors::read(path);
    const json saved = saved_settings(file, path);
    if (saved != wanted)
        throw Error("'" + path + "' was written with other settings (" + saved.dump() + ") than this run (" +
                    wanted.dump() + "); a resumed run may change the epochs, learning rates, kappa and "
                    "threshold quantile, not these");
    AnomalyModel model = from_file(file, path, kResumeStates, StaleCalibration::Drop);
    const EpochsDone done = epochs_done(file, path);
    return {std::move(file), std::move(model), done};
}

void restore_states(const ResumeFile& resume, const std::string& path, AnomalyModel::Impl& model,
                    Optimizers& optimizers, at::Generator& noise) {
    take_optimizer(resume.file, "optimizer.generator.", *optimizers.generator, *model.generator, path);
    take_optimizer(resume.file, "optimizer.discriminator.", *optimizers.discriminator, *model.discriminator, path);
    take_optimizer(resume.file, "optimizer.encoder.", *optimizers.encoder, *model.encoder, path);
    if (optimizers.reader) take_optimizer(resume.file, "optimizer.reader.", *optimizers.reader, *model.reader, path);
    if (resume.done.density_images > 0) {
        std::vector<torch::Tensor> sums;
        for (const char* name : kDensitySums) {
            const auto found = resume.file.tensors.find(name);
            if (found == resume.file.tensors.end()) throw Error("'" + path + "' lacks the tensor '" + name + "'");
            sums.push_back(from_safetensor(found->second));
        }
        try {
            model.density->take_sums(sums);
        } catch (const Error& error) {
            throw Error("'" + path + "': " + error.what());
        }
    }
    const auto rng = resume.file.tensors.find("rng.noise");
    if (rng == resume.file.tensors.end()) throw Error("'" + path + "' lacks the tensor 'rng.noise'");
    try {
        noise.set_state(from_safetensor(rng->second));
    } catch (const c10::Error&) {
        throw Error("'" + path + "': the tensor 'rng.noise' is not a random generator state");
    }
}

AnomalyModel networks_of(const std::string& path, const json& settings, AnomalyModel fresh, bool with_encoder) {
    const AnomalyModel saved = AnomalyModel::load(path, StaleCalibration::Drop);
    const json trained = json::parse(saved.info().training_json, nullptr, false);
    json differing = json::object();
    for (const auto& [key, value] : settings.items())
        if (!trained.is_object() || trained.value(key, json()) != value) differing[key] = value;
    if (!differing.empty())
        throw Error("'" + path + "' was trained with other settings than this run (" + differing.dump() +
                    " here; it records " + (trained.is_object() ? trained.dump() : std::string("none")) +
                    "); take its networks with the settings it was trained with");
    if (!saved.info().knows_density)
        throw Error("'" + path + "' has no feature density; give it one with calibrate --density-weight first");
    AnomalyModel::Impl& from = const_cast<AnomalyModel::Impl&>(saved.impl());
    AnomalyModel::Impl& to = fresh.impl();
    torch::NoGradGuard no_grad;
    std::vector<std::pair<torch::nn::Module*, torch::nn::Module*>> taken = {
        {from.generator.ptr().get(), to.generator.ptr().get()},
        {from.discriminator.ptr().get(), to.discriminator.ptr().get()},
        {from.density.ptr().get(), to.density.ptr().get()}};
    if (with_encoder) taken.push_back({from.encoder.ptr().get(), to.encoder.ptr().get()});
    for (const auto& [source, target] : taken) {
        auto source_parameters = source->named_parameters();
        for (auto& item : target->named_parameters()) item.value().copy_(source_parameters[item.key()]);
        auto source_buffers = source->named_buffers();
        for (auto& item : target->named_buffers()) item.value().copy_(source_buffers[item.key()]);
    }
    ModelInfo& info = fresh.info();
    info.knows_density = true;
    info.terms[ShapeTerm::Density].scale = saved.info().terms[ShapeTerm::Density].scale;
    // Both releases, for networks kept from an older one.
    const std::string kept_by = gan_creator(saved.info().created_by);
    if (kept_by != info.created_by) info.created_by += kGanCreatorMark + kept_by + ")";
    return fresh;
}

}  // namespace oddigit::detail

namespace oddigit {

RunSettings read_run_settings(const std::string& path) {
    const safetensors::File file = safetensors::read(path);
    const nlohmann::json saved = detail::saved_settings(file, path);
    const ModelInfo info = detail::from_file(file, path, detail::kResumeStates, StaleCalibration::Drop).info();
    // The whole record of the run's settings; the ones its resume must keep as the resume file has them.
    nlohmann::json record = nlohmann::json::parse(info.training_json, nullptr, false);
    if (!record.is_object()) record = nlohmann::json::object();
    record.update(saved);
    RunSettings run;
    try {
        run.params = detail::recorded_params(record, info);
        run.train_images = saved.at("train_images").get<int64_t>();
        run.validation_images = record.value("validation_images", int64_t{0});
    } catch (const nlohmann::json::exception&) {
        throw Error("'" + path + "': damaged oddigit.resume.settings");
    } catch (const Error& error) {
        throw Error("'" + path + "': " + error.what());
    }
    const detail::EpochsDone done = detail::epochs_done(file, path);
    run.gan_epochs_done = done.gan;
    run.encoder_epochs_done = done.encoder;
    return run;
}

}  // namespace oddigit
