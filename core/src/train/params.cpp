#include "params.h"

#include <cmath>
#include <limits>

#include "atomic_file.h"
#include "model_file.h"
#include "oddigit/error.h"
#include "train/checkpoint.h"
#include "train/synthetic.h"

namespace oddigit {

namespace detail {

namespace {

// params with each phase's epochs, where 0, replaced by the default for this training set.
TrainParams with_epochs_for(TrainParams params, int64_t train_images) {
    if (params.gan_epochs == 0) params.gan_epochs = default_epochs(train_images);
    if (params.encoder_epochs == 0) params.encoder_epochs = default_epochs(train_images);
    return params;
}

// The settings a resumed run may change, by their keys in a model's record: visit(key, member)
// for each, so that the record is written and read from one list.
template <typename Params, typename Visit>
void for_each_changeable(Params& params, Visit&& visit) {
    visit("gan_epochs", params.gan_epochs);
    visit("encoder_epochs", params.encoder_epochs);
    visit("gan_learning_rate", params.gan_learning_rate);
    visit("encoder_learning_rate", params.encoder_learning_rate);
    visit("encoder_corruption", params.encoder_corruption);
    visit("kappa", params.terms.kappa);
    for (ShapeTerm term : kShapeTerms) visit(std::string(names_of(term).key) + "_weight", params.terms[term].weight);
    visit("reader_learning_rate", params.reader.learning_rate);
    visit("threshold_quantile", params.threshold_quantile);
    visit("shape_share", params.shape_share);
}

}  // namespace

TrainParams settled_params(const TrainParams& requested, const LabelledImages& train_set,
                           const ImageBatch& validation_images) {
    TrainParams params = with_epochs_for(requested, train_set.images.size());
    params.output_path = rank_output_path(params.output_path, params.distributed.rank);
    const ImageBatch& train_images = train_set.images;
    if (train_images.size() < 2 || validation_images.empty())
        throw Error("training needs at least 2 training images and 1 validation image");
    if (static_cast<int64_t>(train_set.labels.size()) != train_images.size())
        throw Error("training needs one label per training image (" + std::to_string(train_set.labels.size()) +
                    " labels for " + std::to_string(train_images.size()) + " images)");
    for (uint8_t label : train_set.labels)
        if (!params.normal_classes.contains(label))
            throw Error("a training image is labelled " + std::to_string(label) + ", not one of the normal classes " +
                        params.normal_classes.to_string());
    if (params.batch_size < 2) throw Error("the batch size must be at least 2");
    const int ranks = params.distributed.world_size;
    if (ranks > 1 && (params.batch_size % ranks != 0 || params.batch_size / ranks < 2))
        throw Error("the batch size " + std::to_string(params.batch_size) + " must split into " + std::to_string(ranks) +
                    " equal shares of at least 2 images (BatchNorm needs two), one per rank");
    if (params.gan_epochs < 1 || params.encoder_epochs < 1) throw Error("each phase needs at least one epoch");
    if (params.reader.epochs < 0 || params.reader.count < 1 || params.reader.count > 16 || !(params.reader.learning_rate > 0))
        throw Error("the digit readers need 0 or more epochs, 1 to 16 readers and a learning rate above 0");
    params.architecture.classes = params.normal_classes.size();
    // Readers for a model of two or more classes: one class is all there is to name.
    params.architecture.readers = trains_readers(params) ? params.reader.count : 0;
    if (params.reader.features < 8 || params.reader.features > 1024)
        throw Error("a digit reader needs 8 to 1024 hidden features");
    params.architecture.reader_features = params.reader.features;
    if (params.reader.contrastive && params.distributed.world_size > 1)
        throw Error("the contrastive readers train in one process only");
    check_corruption_share(params.encoder_corruption);
    // The bounds a model file must keep, so that the run writes a model that opens.
    const auto check_setting = [](const std::string& name, float value, float lowest, float highest) {
        if (!(std::isfinite(value) && value >= lowest && value <= highest))
            throw Error(std::string("the ") + name + " is " + std::to_string(value) + "; a model's " + name +
                        " must be a finite number from " + std::to_string(lowest) +
                        (highest < std::numeric_limits<float>::max() ? " to " + std::to_string(highest) : std::string(" up")));
    };
    constexpr float kUnbounded = std::numeric_limits<float>::max();
    check_setting("kappa", params.terms.kappa, kLowestWeight, kUnbounded);
    for (ShapeTerm term : kShapeTerms)
        check_setting(std::string(names_of(term).key) + " weight", params.terms[term].weight, kLowestWeight, kUnbounded);
    check_setting("threshold quantile", params.threshold_quantile, kLowestQuantile, kHighestQuantile);
    check_setting("shape share", params.shape_share, kLowestShapeShare, kHighestShapeShare);
    for (const std::string* from : {&params.gan_from, &params.encoder_from})
        if (!from->empty() && *from == params.output_path)
            throw Error("the model to take the networks from, '" + *from +
                        "', is also the output, which training overwrites; write the new model elsewhere");
    if (!params.gan_from.empty() && !params.encoder_from.empty())
        throw Error("take the GAN from one model, or the GAN and the encoder; not both");
    return params;
}

nlohmann::json describe(const TrainParams& params, int64_t train_count, int64_t validation_count) {
    nlohmann::json settings = fixed_settings(params, train_count);
    for_each_changeable(params, [&settings](const std::string& key, const auto& value) { settings[key] = value; });
    settings.update({{"reader_epochs", params.architecture.readers > 0 ? params.reader.epochs : 0},
                     {"validation_images", validation_count},
                     {"objective", "hinge loss, spectral-norm discriminator, digit head on synthetic non-digits"}});
    return settings;
}

TrainParams recorded_params(const nlohmann::json& record, const ModelInfo& info) {
    TrainParams params;
    params.architecture = info.architecture;
    params.data_source = info.data_source;
    params.test_data = info.test_data;
    params.normal_classes = info.normal_classes;
    const auto take = [&record](const std::string& key, auto& value) { value = record.value(key, value); };
    for_each_changeable(params, take);
    take("batch_size", params.batch_size);
    take("seed", params.seed);
    take("reader_epochs", params.reader.epochs);
    take("reader_scanner_variation", params.reader.scanner_variation);
    take("reader_features", params.reader.features);
    take("reader_contrastive", params.reader.contrastive);
    const int term = record.value("reader_term", static_cast<int>(params.reader.term));
    const int negatives = record.value("reader_negatives", static_cast<int>(params.reader.negatives));
    if (term < 0 || term > static_cast<int>(ReaderTerm::NotADigit) || negatives < 0 ||
        negatives > static_cast<int>(ReaderNegatives::GanMixes))
        throw Error("the run's reader recipe (term " + std::to_string(term) + ", negatives " + std::to_string(negatives) +
                    ") is not one this build knows");
    params.reader.term = static_cast<ReaderTerm>(term);
    params.reader.negatives = static_cast<ReaderNegatives>(negatives);
    if (info.architecture.readers > 0) params.reader.count = info.architecture.readers;
    params.distributed.world_size = record.value("world_size", 1);
    return params;
}

}  // namespace detail

bool trains_readers(const TrainParams& params) {
    return params.reader.epochs > 0 && params.normal_classes.count() >= 2;
}

bool banks_rescans(const TrainParams& params) {
    return trains_readers(params) && params.reader.term == ReaderTerm::Neighbours && params.reader.bank_rescans;
}

int default_epochs(int64_t train_images) {
    return train_images < kSmallTrainingSet ? kSmallSetEpochs : kLargeSetEpochs;
}

namespace {

constexpr const char* kModelExtension = ".safetensors";

// The path without its ".safetensors", or the whole path where it has none (or is only that).
std::string without_extension(const std::string& path) {
    const std::string extension = kModelExtension;
    const bool has = path.size() > extension.size() && detail::ends_with(path, extension);
    return has ? path.substr(0, path.size() - extension.size()) : path;
}

}  // namespace

std::string rank_output_path(const std::string& output_path, int rank) {
    if (rank == 0 || output_path.empty()) return output_path;
    const std::string mark = ".rank" + std::to_string(rank);
    const std::string stem = without_extension(output_path);
    return stem == output_path ? output_path + mark : stem + mark + kModelExtension;
}

std::string resume_path(const std::string& output_path) {
    return without_extension(output_path) + ".resume" + kModelExtension;
}

}  // namespace oddigit
