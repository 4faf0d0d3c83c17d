#include "model_file.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>

#include "oddigit/error.h"
#include "oddigit/score.h"

namespace oddigit::detail {

namespace {

constexpr const char* kFormatName = "oddigit-model";
constexpr const char* kFormatVersion = "1";
// Names the score a file's thresholds and validation values were computed for. Change it
// whenever the score changes, so older calibrations are not read on the wrong scale.
constexpr const char* kScoreName =
    "larger channel ratio; stroke: hottest-20-heat-pixels + kappa * discriminator-features; shape: "
    "realness_weight * realness_scale * reconstruction-fakeness";
// The terms a model with a digit head, and one with a feature density, adds to its shape channel.
constexpr const char* kDigitTerm = " + digit_weight * not-a-normal-digit";
constexpr const char* kDensityTerm = " + density_weight * density_scale * feature-density";
// Where a file keeps each calibration: its metadata and its tensors (the channel values of
// the images it was set on, in one order).
struct CalibrationKeys {
    const char* stroke;
    const char* shape;
    const char* heat_full_scale;
    const char* channel_quantile;
    const char* validation_stroke;
    const char* validation_shape;
};
constexpr CalibrationKeys kMnistKeys = {"oddigit.stroke_threshold",      "oddigit.shape_threshold",
                                        "oddigit.heat_full_scale",       "oddigit.channel_quantile",
                                        "calibration.validation_stroke", "calibration.validation_shape"};
constexpr CalibrationKeys kCanvasKeys = {"oddigit.canvas_stroke_threshold",      "oddigit.canvas_shape_threshold",
                                         "oddigit.canvas_heat_full_scale",       "oddigit.canvas_channel_quantile",
                                         "calibration.canvas_validation_stroke", "calibration.canvas_validation_shape"};
constexpr const char* kCalibrationPrefix = "calibration.";
// The digit head's and the density's tensors, optional so that models from before them still load.
constexpr const char* kDigitHeadPrefix = "discriminator.digits.";
constexpr const char* kDensityPrefix = "density.";
constexpr const char* kReaderPrefix = "reader.";
constexpr const char* kReaderBank = "reader.bank";
// The readers' term in the score's name and the file's metadata, by ReaderTerm.
constexpr const char* kReaderTermNames[] = {"energy", "neighbours", "not-a-digit"};

bool in_digit_head(const std::string& tensor_name) { return tensor_name.rfind(kDigitHeadPrefix, 0) == 0; }
bool in_density(const std::string& tensor_name) { return tensor_name.rfind(kDensityPrefix, 0) == 0; }
bool in_readers(const std::string& tensor_name) { return tensor_name.rfind(kReaderPrefix, 0) == 0; }

// Whether the model holds the optional part a tensor belongs to (true for the others).
bool holds_part_of(const ModelInfo& info, const std::string& tensor_name) {
    return (info.knows_classes || !in_digit_head(tensor_name)) && (info.knows_density || !in_density(tensor_name)) &&
           (info.architecture.readers > 0 || !in_readers(tensor_name));
}

const char* reader_term_name(ReaderTerm term) { return kReaderTermNames[static_cast<int>(term)]; }

// The score a model's calibration is for.
std::string score_name(const ModelInfo& info) {
    std::string name = std::string(kScoreName) + (info.knows_classes ? kDigitTerm : "") + (info.knows_density ? kDensityTerm : "");
    if (info.architecture.readers > 0)
        name += std::string(" + reader_weight * reader_scale * reader-") + reader_term_name(info.reader_term);
    return name;
}
// Bounds on the architecture a file may ask for, so a hostile header cannot make us
// allocate gigabytes before its tensor shapes are checked.
constexpr int kMaxLatentDim = 1024;
constexpr int kMaxWidth = 512;
constexpr int kMaxReaders = 16;
constexpr int kMaxReaderFeatures = 1024;
// The most training digits' features a Neighbours term keeps.
constexpr int64_t kMaxBank = 1 << 20;

// Enough digits that parse_float() gives back the same float.
std::string exact_text(float value) {
    char text[32];
    std::snprintf(text, sizeof text, "%.*g", std::numeric_limits<float>::max_digits10, value);
    return text;
}

}  // namespace

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

safetensors::Tensor to_safetensor(const torch::Tensor& tensor) {
    const torch::Tensor cpu = tensor.detach().to(torch::kCPU).contiguous();
    safetensors::Tensor result;
    if (cpu.scalar_type() == torch::kFloat)
        result.dtype = safetensors::DType::F32;
    else if (cpu.scalar_type() == torch::kDouble)
        result.dtype = safetensors::DType::F64;
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
                      : tensor.dtype == safetensors::DType::F64 ? torch::kDouble
                      : tensor.dtype == safetensors::DType::I64 ? torch::kLong
                                                                : torch::kByte;
    torch::Tensor result = torch::empty(tensor.shape, type);
    // memcpy must not see the null pointers of empty buffers, even for zero bytes.
    if (!tensor.bytes.empty()) std::memcpy(result.data_ptr(), tensor.bytes.data(), tensor.bytes.size());
    return result;
}

namespace {

// A shape term's key in the file: oddigit.<key>_weight or oddigit.<key>_scale (ShapeTermNames::key).
std::string term_key(ShapeTerm term, const char* field) {
    return std::string("oddigit.") + names_of(term).key + "_" + field;
}

void put_calibration(safetensors::File& file, const CalibrationKeys& keys, const Calibration& calibration) {
    file.metadata[keys.stroke] = exact_text(calibration.stroke);
    file.metadata[keys.shape] = exact_text(calibration.shape);
    file.metadata[keys.heat_full_scale] = exact_text(calibration.heat_full_scale);
    file.metadata[keys.channel_quantile] = exact_text(calibration.channel_quantile);
    for (const auto& [name, values] : {std::pair{keys.validation_stroke, &calibration.validation_stroke},
                                        std::pair{keys.validation_shape, &calibration.validation_shape}})
        file.tensors[name] = safetensors::from_floats(*values, {static_cast<int64_t>(values->size())});
}

std::vector<float> validation_values(const safetensors::File& file, const char* name, const std::string& path,
                                     std::set<std::string>& used) {
    const auto found = file.tensors.find(name);
    if (found == file.tensors.end() || found->second.dtype != safetensors::DType::F32 || found->second.shape.size() != 1)
        throw Error("'" + path + "' lacks the 1-D float tensor '" + name + "'");
    used.insert(name);
    std::vector<float> values = safetensors::to_floats(found->second);
    if (!std::all_of(values.begin(), values.end(), [](float v) { return std::isfinite(v); }))
        throw Error("'" + path + "': a value of '" + name + "' is not a finite number");
    return values;
}

// A calibration as the file holds it, checked against the model's channels: a calibrated
// model (one with validation values; a resume file may have none yet) flags by every channel
// it has.
Calibration read_calibration(const safetensors::File& file, const CalibrationKeys& keys, const ModelInfo& info,
                             const std::string& path, std::set<std::string>& used) {
    Calibration calibration;
    calibration.stroke = parse_float(file.metadata, keys.stroke, path, 0.0f);
    calibration.shape = parse_float(file.metadata, keys.shape, path, 0.0f);
    calibration.heat_full_scale = parse_float(file.metadata, keys.heat_full_scale, path, 0.0f);
    calibration.channel_quantile = parse_float(file.metadata, keys.channel_quantile, path, kLowestQuantile, kHighestQuantile);
    calibration.validation_stroke = validation_values(file, keys.validation_stroke, path, used);
    calibration.validation_shape = validation_values(file, keys.validation_shape, path, used);
    if (calibration.validation_stroke.size() != calibration.validation_shape.size())
        throw Error("'" + path + "': its validation stroke and shape values differ in number");
    if (!calibration.validation_stroke.empty() &&
        (!calibration.is_set() || (calibration.shape > 0) != has_shape_channel(info) || !(calibration.heat_full_scale > 0)))
        throw Error("'" + path + "': its thresholds (" + keys.stroke + " " + exact_text(calibration.stroke) + ", " +
                    keys.shape + " " + exact_text(calibration.shape) + ", " + keys.heat_full_scale + " " +
                    exact_text(calibration.heat_full_scale) + ") do not fit its score's channels");
    calibration.update_validation_scores();
    return calibration;
}

// The canvas calibration, which is optional. 0.7 kept only its thresholds, not the channel
// values the percentile of a drawing needs: such a file opens without it (calibrate sets it again).
Calibration read_canvas_calibration(const safetensors::File& file, const ModelInfo& info, const std::string& path,
                                    std::set<std::string>& used) {
    const auto has = [&](const char* key) { return file.metadata.count(key) > 0; };
    const bool values = file.tensors.count(kCanvasKeys.validation_stroke) || file.tensors.count(kCanvasKeys.validation_shape);
    if (!values && !has(kCanvasKeys.channel_quantile)) return {};
    if (!values && !has(kCanvasKeys.stroke) && !has(kCanvasKeys.shape) && !has(kCanvasKeys.heat_full_scale)) return {};
    Calibration canvas = read_calibration(file, kCanvasKeys, info, path, used);
    if (!canvas.is_set() || canvas.validation_stroke.empty())
        throw Error("'" + path + "': its canvas calibration has no threshold or no validation values");
    return canvas;
}

// Copies the file's tensors into the model's networks, each checked for its shape and type.
void load_networks(const safetensors::File& file, const std::string& path, AnomalyModel::Impl& impl,
                   std::set<std::string>& used) {
    torch::NoGradGuard no_grad;
    for (const auto& [network_prefix, network] : impl.modules()) {
        torch::nn::Module& module = *network;
        const char* prefix = network_prefix;  // C++17 lambdas cannot capture structured bindings
        auto load = [&](const std::string& key, torch::Tensor& target) {
            const std::string name = std::string(prefix) + "." + key;
            if (!holds_part_of(impl.info, name)) return;
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
}

// The class names a file records: a JSON list of one name per class.
std::vector<std::string> class_names_of(const std::string& text, const ModelInfo& info, const std::string& path) {
    const nlohmann::json names = nlohmann::json::parse(text, nullptr, false);
    if (!names.is_array() || static_cast<int>(names.size()) != info.architecture.classes ||
        !std::all_of(names.begin(), names.end(), [](const nlohmann::json& name) { return name.is_string(); }))
        throw Error("'" + path + "': oddigit.class_names is not a list of " + std::to_string(info.architecture.classes) +
                    " names");
    return names.get<std::vector<std::string>>();
}

// The readers' term a file names (oddigit.reader_term).
ReaderTerm reader_term_of(const std::map<std::string, std::string>& metadata, const std::string& path) {
    const auto term = metadata.find("oddigit.reader_term");
    const auto* end = std::end(kReaderTermNames);
    const auto* named = term == metadata.end() ? end : std::find(std::begin(kReaderTermNames), end, term->second);
    if (named == end) throw Error("'" + path + "' names no reader term this build knows (oddigit.reader_term)");
    return static_cast<ReaderTerm>(named - std::begin(kReaderTermNames));
}

// The classes, the score's weights and scales a file records.
void read_settings(const std::map<std::string, std::string>& metadata, const std::string& path, bool current,
                  ModelInfo& info) {
    info.normal_classes = ClassSet::parse(metadata.count("oddigit.normal_classes") ? metadata.at("oddigit.normal_classes") : "",
                                          info.architecture.classes);
    if (metadata.count("oddigit.class_names"))
        info.normal_classes = info.normal_classes.named(class_names_of(metadata.at("oddigit.class_names"), info, path));
    try {
        if (metadata.count("oddigit.data_source")) info.data_source = DataSource::parse(metadata.at("oddigit.data_source"));
        if (metadata.count("oddigit.test_data") && !metadata.at("oddigit.test_data").empty())
            info.test_data = DataSource::parse(metadata.at("oddigit.test_data"));
    } catch (const Error& error) {
        throw Error("'" + path + "': " + error.what());
    }
    info.terms.kappa = parse_float(metadata, "oddigit.kappa", path, kLowestWeight);
    for (ShapeTerm term : kShapeTerms) {
        TermWeight& weighed = info.terms[term];
        const std::string weight_key = term_key(term, "weight"), scale_key = term_key(term, "scale");
        // What the file does not record is 0: a term the model does not measure, the realness
        // of files from before it. A scale is needed where the calibration is current.
        weighed = {0.0f, names_of(term).scaled ? 0.0f : 1.0f};
        if (!measures(info, term)) continue;
        if (term != ShapeTerm::Realness || metadata.count(weight_key))
            weighed.weight = parse_float(metadata, weight_key, path, kLowestWeight);
        if (names_of(term).scaled && (current || metadata.count(scale_key)))
            weighed.scale = parse_float(metadata, scale_key, path, kLowestWeight);
    }
    if (info.architecture.readers > 0 && current) info.reader_offset = parse_float(metadata, "oddigit.reader_offset", path);
    info.threshold_quantile = parse_float(metadata, "oddigit.threshold_quantile", path, kLowestQuantile, kHighestQuantile);
    // Files from before the share was set split the alarms evenly.
    if (metadata.count("oddigit.shape_share"))
        info.shape_share = parse_float(metadata, "oddigit.shape_share", path, kLowestShapeShare, kHighestShapeShare);
}

}  // namespace

safetensors::File to_file(const AnomalyModel& model) {
    AnomalyModel::Impl& impl = const_cast<AnomalyModel::Impl&>(model.impl());
    safetensors::File file;
    const ModelInfo& info = model.info();
    for (const auto& [prefix, network] : impl.modules()) {
        torch::nn::Module& module = *network;
        auto put = [&file, &info, prefix = std::string(prefix) + "."](const std::string& key, const torch::Tensor& value) {
            const std::string name = prefix + key;
            if (holds_part_of(info, name)) file.tensors[name] = to_safetensor(value);
        };
        for (const auto& item : module.named_parameters()) put(item.key(), item.value());
        for (const auto& item : module.named_buffers()) put(item.key(), item.value());
    }
    file.metadata = {
        {"oddigit.format", kFormatName},
        {"oddigit.format_version", kFormatVersion},
        {"oddigit.score", score_name(info)},
        {"oddigit.latent_dim", std::to_string(info.architecture.latent_dim)},
        {"oddigit.width", std::to_string(info.architecture.width)},
        {"oddigit.normal_classes", info.normal_classes.to_string()},
        {"oddigit.data_source", info.data_source.record()},
        {"oddigit.test_data", info.test_data ? info.test_data->record() : std::string()},
        {"oddigit.kappa", exact_text(info.terms.kappa)},
        {"oddigit.threshold_quantile", exact_text(info.threshold_quantile)},
        {"oddigit.shape_share", exact_text(info.shape_share)},
        {"oddigit.training", info.training_json},
        {"oddigit.created_by", info.created_by},
    };
    for (ShapeTerm term : kShapeTerms) {
        if (!measures(info, term)) continue;
        file.metadata[term_key(term, "weight")] = exact_text(info.terms[term].weight);
        if (names_of(term).scaled) file.metadata[term_key(term, "scale")] = exact_text(info.terms[term].scale);
    }
    if (info.architecture.classes != 10) file.metadata["oddigit.classes"] = std::to_string(info.architecture.classes);
    if (!info.normal_classes.class_names().empty())
        file.metadata["oddigit.class_names"] = nlohmann::json(info.normal_classes.class_names()).dump();
    if (info.architecture.readers > 0) {
        file.metadata["oddigit.readers"] = std::to_string(info.architecture.readers);
        file.metadata["oddigit.reader_features"] = std::to_string(info.architecture.reader_features);
        file.metadata["oddigit.reader_term"] = reader_term_name(info.reader_term);
        file.metadata["oddigit.reader_offset"] = exact_text(info.reader_offset);
    }
    put_calibration(file, kMnistKeys, info.mnist);
    if (info.canvas.is_set()) put_calibration(file, kCanvasKeys, info.canvas);
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
    if (metadata.count("oddigit.readers")) architecture.readers = parse_int(metadata, "oddigit.readers", path, 1, kMaxReaders);
    // Files of 0.8 have 128 features and no key.
    if (metadata.count("oddigit.reader_features"))
        architecture.reader_features = parse_int(metadata, "oddigit.reader_features", path, 1, kMaxReaderFeatures);
    if (metadata.count("oddigit.classes"))
        architecture.classes = parse_int(metadata, "oddigit.classes", path, 1, ClassSet::kMostClasses);

    AnomalyModel model = AnomalyModel::create(architecture, 0);
    ModelInfo& info = model.impl().info;
    const auto bank = file.tensors.find(kReaderBank);
    if (architecture.readers > 0 && bank != file.tensors.end() && bank->second.shape.size() == 2 &&
        bank->second.shape[0] <= kMaxBank)
        model.impl().reader->set_bank(torch::zeros({bank->second.shape[0], architecture.reader_features}));
    const auto holds_tensor = [&](bool (*in_part)(const std::string&)) {
        return std::any_of(file.tensors.begin(), file.tensors.end(), [&](const auto& entry) { return in_part(entry.first); });
    };
    info.knows_classes = holds_tensor(in_digit_head);
    info.knows_density = holds_tensor(in_density);
    std::set<std::string> used;
    load_networks(file, path, model.impl(), used);
    if (info.architecture.readers > 0) info.reader_term = reader_term_of(metadata, path);
    const auto score = metadata.find("oddigit.score");
    const bool current = score != metadata.end() && score->second == score_name(info);
    if (!current && stale == StaleCalibration::Reject)
        throw Error("'" + path + "' was calibrated for an older anomaly score; recalibrate it with "
                    "'oddigit-cli calibrate --model " + path + "' (or train it again)");
    read_settings(metadata, path, current, info);
    if (current) {
        info.mnist = read_calibration(file, kMnistKeys, info, path, used);
        info.canvas = read_canvas_calibration(file, info, path, used);
    } else {
        // A stale calibration's tensors are left behind with it.
        for (const auto& entry : file.tensors)
            if (entry.first.rfind(kCalibrationPrefix, 0) == 0) used.insert(entry.first);
    }
    for (const auto& entry : file.tensors) {
        const std::string& name = entry.first;
        const bool extra = std::any_of(extra_prefixes.begin(), extra_prefixes.end(),
                                       [&](const std::string& p) { return name.rfind(p, 0) == 0; });
        if (!used.count(name) && !extra) throw Error("'" + path + "' holds an unexpected tensor '" + name + "'");
    }
    if (metadata.count("oddigit.training")) info.training_json = metadata.at("oddigit.training");
    if (metadata.count("oddigit.created_by")) info.created_by = metadata.at("oddigit.created_by");
    return model;
}

}  // namespace oddigit::detail
