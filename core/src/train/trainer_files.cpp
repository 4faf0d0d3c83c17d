// What a training run keeps and takes: the resume file, a finished model's networks
// (train/trainer.h).
#include "train/trainer.h"

namespace oddigit::detail {

using nlohmann::json;

// Every rank given an output path writes its copy of the model and resume file, rank R > 0
// at rank_output_path(). Two ranks on one machine writing one file would tear it: every
// rank refuses a run where two such paths meet.
void Trainer::refuse_shared_outputs() {
    const int ranks = group_->world_size(), rank = group_->rank();
    if (ranks == 1) return;
    const torch::Tensor claims = torch::zeros({ranks}, torch::kDouble);
    const double mine = params_.output_path.empty() ? 0.0 : output_claim(params_.output_path);
    claims[rank] = mine;
    group_->sum({claims}, &ExchangeSeconds::step_figures);
    for (int other = 0; other < ranks; ++other)
        if (other != rank && mine != 0 && claims[other].item<double>() == mine)
            throw Error("ranks " + std::to_string(std::min(rank, other)) + " and " +
                        std::to_string(std::max(rank, other)) + " would both write '" + params_.output_path +
                        "' on this machine (rank R > 0 writes its --out with .rankR inserted); give them paths that do not meet");
}

void Trainer::save_resume() {
    if (params_.output_path.empty()) return;
    write_resume(resume_path(params_.output_path), model_, optimizers_, noise_,
                         fixed_settings(params_, train_count_), done_);
}

void Trainer::resume() {
    if (params_.output_path.empty()) throw Error("resuming needs the output path of the earlier run");
    const std::string path = resume_path(params_.output_path);
    ResumeFile resumed = read_resume(path, fixed_settings(params_, train_count_));
    adopt(std::move(resumed.model));
    restore_states(resumed, path, model_.impl(), optimizers_, noise_);
    done_ = resumed.done;
    if (done_.encoder > 0 && params_.gan_epochs > done_.gan)
        throw Error("'" + path + "': the GAN phase ended after " + std::to_string(done_.gan) +
                    " epochs and the encoder was trained on it; it cannot be extended to " +
                    std::to_string(params_.gan_epochs));
    done_.gan = std::min(done_.gan, params_.gan_epochs);
}

// TrainParams::gan_from and encoder_from: the saved model's G, D and density (and encoder),
// with this run's fresh encoder (and readers), as a full run would start the next phase.
void Trainer::take_networks(const std::string& path, bool with_encoder) {
    // What they depend on: the settings a resume keeps but the readers', each phase's epochs
    // and rates, and the split.
    json settings = fixed_settings(params_, train_count_);
    for (const char* reader_setting :
         {"readers", "reader_term", "reader_negatives", "reader_scanner_variation", "reader_bank_variations",
          "reader_features", "reader_contrastive"})
        settings.erase(reader_setting);
    settings.update({{"gan_epochs", params_.gan_epochs},
                     {"gan_learning_rate", params_.gan_learning_rate},
                     {"validation_images", validation_images_.size()}});
    if (with_encoder)
        settings.update({{"encoder_epochs", params_.encoder_epochs},
                         {"encoder_learning_rate", params_.encoder_learning_rate},
                         {"encoder_corruption", params_.encoder_corruption},
                         {"kappa", params_.terms.kappa}});
    model_ = networks_of(path, settings, std::move(model_), with_encoder);
    model_.impl().to(device_);
    optimizers_ = make_optimizers(model_.impl(), params_);
    done_.gan = params_.gan_epochs;
    if (with_encoder) done_.encoder = params_.encoder_epochs;
}

// Takes over a saved model's networks. The settings that may differ from the run that
// saved them (kappa, the score's weights, the threshold quantile, the training record)
// follow this run.
void Trainer::adopt(AnomalyModel saved) {
    const ModelInfo wanted_info = model_.info();
    model_ = std::move(saved);
    model_.info().training_json = wanted_info.training_json;
    model_.info().terms.kappa = wanted_info.terms.kappa;
    for (ShapeTerm term : kShapeTerms) model_.info().terms[term].weight = wanted_info.terms[term].weight;
    model_.info().threshold_quantile = wanted_info.threshold_quantile;
    model_.info().shape_share = wanted_info.shape_share;
    model_.impl().to(device_);
    // The optimizers hold the old parameter tensors: rebuild them on the loaded ones.
    optimizers_ = make_optimizers(model_.impl(), params_);
}

}  // namespace oddigit::detail
