#pragma once
// Internal: what lets a training run stop and go on: the resume file (the model, the Adam
// states, the noise stream and the epochs done) and a finished model's GAN taken again
// (TrainParams::gan_from).
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include <ATen/core/Generator.h>
#include <torch/optim/adam.h>

#include "model_impl.h"
#include "oddigit/safetensors.h"
#include "oddigit/train.h"

namespace oddigit::detail {

// The settings a resumed run must share with the run that wrote the resume file.
nlohmann::json fixed_settings(const TrainParams& params, int64_t train_count);

// A number that names the file at output_path on this machine (host name and absolute path
// hashed to 53 bits, exact in a double), for ranks to compare their outputs; never 0.
double output_claim(const std::string& output_path);

struct Optimizers {
    std::unique_ptr<torch::optim::Adam> generator;
    std::unique_ptr<torch::optim::Adam> discriminator;
    std::unique_ptr<torch::optim::Adam> encoder;
    std::unique_ptr<torch::optim::Adam> reader;  // null for a model without readers
};
// Fresh Adam optimizers on the model's parameters: DCGAN's betas for the GAN.
Optimizers make_optimizers(AnomalyModel::Impl& model, const TrainParams& params);

// How far a run got: epochs of each phase, and the images whose D features the density's
// fitting sums hold when the run stopped partway through the fit (0 otherwise).
struct EpochsDone {
    int gan = 0;
    int encoder = 0;
    int reader = 0;
    int64_t density_images = 0;
};

// Writes the resume file at path, atomically, with the density's fitting sums when
// done.density_images > 0. Throws Error when it cannot be written.
void write_resume(const std::string& path, const AnomalyModel& model, const Optimizers& optimizers,
                  const at::Generator& noise, const nlohmann::json& settings, EpochsDone done);

struct ResumeFile {
    safetensors::File file;
    AnomalyModel model;  // a calibration for an older score dropped: the run calibrates again
    EpochsDone done;
};
// Reads the resume file at path. Throws Error when it is missing, damaged, not a resume file,
// or was written with other settings than wanted.
ResumeFile read_resume(const std::string& path, const nlohmann::json& wanted);

// Gives optimizers on the model's parameters, the noise stream and a density fit stopped
// partway the states a resume file holds. Throws Error for a missing or misshapen state.
void restore_states(const ResumeFile& resume, const std::string& path, AnomalyModel::Impl& model,
                    Optimizers& optimizers, at::Generator& noise);

// The fresh model with the networks of the finished model at path that a full run would start a
// later phase with: G, D and the density (TrainParams::gan_from), and the encoder too when
// with_encoder (TrainParams::encoder_from). Throws Error when the model cannot be read, was
// trained with other settings than the ones given, or has no feature density.
AnomalyModel networks_of(const std::string& path, const nlohmann::json& settings, AnomalyModel fresh, bool with_encoder);

}  // namespace oddigit::detail
