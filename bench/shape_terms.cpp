// The shape channel's raw material, for choosing its terms offline (bench/shape-terms.py):
// for each set of the rule in docs/decisions.md ("Shipping the digit reader (0.9)"), each
// image's raw score terms and the first reader's hidden features, as float32 files, and the
// features of the training digits a nearest-neighbour bank can be made of.
//   oddigit-shape-terms --model M --characters DIR --digits DIR --out DIR [--data MNIST]
// Writes DIR/sets.json and, per set, SET.terms.f32 ([N, 7]: pixel residual, feature residual,
// not-a-digit, density, realness, the model's own reader term, the readers' normal-class
// logsumexp) and SET.features.f32 ([N, F]; SET.features1.f32 of a second reader, and so on);
// bank sets have features only.
#include <torch/torch.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "model_impl.h"
#include "oddigit/error.h"
#include "oddigit/mnist.h"
#include "oddigit/model.h"
#include "oddigit/preprocess.h"
#include "oddigit/protocol.h"
#include "oddigit/rescan.h"
#include "oddigit/runtime.h"
#include "oddigit/train.h"
#include "score/terms.h"

using namespace oddigit;

namespace {

constexpr int64_t kChunk = 512;

void write_floats(const std::string& path, const torch::Tensor& values) {
    const torch::Tensor contiguous = values.to(torch::kFloat).contiguous();
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(contiguous.data_ptr<float>()), contiguous.numel() * sizeof(float));
    if (!out) throw Error("cannot write " + path);
}

// Reader i's hidden features of images, [N, F].
torch::Tensor reader_features(AnomalyModel& model, int i, const ImageBatch& images) {
    torch::NoGradGuard no_grad;
    auto& impl = model.impl();
    std::vector<torch::Tensor> chunks;
    for (int64_t begin = 0; begin < images.size(); begin += kChunk) {
        const torch::Tensor x = oddigit::detail::to_tensor(images, begin, std::min(kChunk, images.size() - begin), impl.device);
        chunks.push_back(impl.reader->reader(i)->forward(x).features);
    }
    return torch::cat(chunks);
}

// [N, 7]: the raw terms of the score, and the readers' logsumexp.
torch::Tensor raw_terms(AnomalyModel& model, const ImageBatch& images) {
    std::vector<float> rows;
    for (const ImageScore& s : model.score(images))
        rows.insert(rows.end(), {s.pixel_residual, s.feature_residual, s.not_digit, s.feature_density, s.realness, s.reader});
    torch::Tensor terms = torch::tensor(rows).view({images.size(), 6});
    torch::NoGradGuard no_grad;
    std::vector<torch::Tensor> energy;
    for (int64_t begin = 0; begin < images.size(); begin += kChunk)
        energy.push_back(oddigit::detail::reader_logsumexp(
            model.impl(), oddigit::detail::to_tensor(images, begin, std::min(kChunk, images.size() - begin), model.impl().device)));
    return torch::cat({terms, torch::cat(energy).unsqueeze(1)}, 1);
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"The shape channel's raw terms and reader features of the choice sets"};
    std::string model_path, characters, digits, out, data = default_mnist_dir();
    app.add_option("--model", model_path)->required();
    app.add_option("--characters", characters, "the non-digits (Omniglot)")->required();
    app.add_option("--digits", digits, "real digits rendered as the characters were (UNIPEN)")->required();
    app.add_option("--out", out)->required();
    app.add_option("--data", data, "the MNIST folder");
    CLI11_PARSE(app, argc, argv);
    try {
        init_worker_thread();
        AnomalyModel model = AnomalyModel::load(model_path);
        if (model.info().architecture.readers == 0) throw Error("the model has no digit readers");
        const auto training = nlohmann::json::parse(model.info().training_json);
        const MnistSet mnist = load_mnist(data);
        const NormalSplit split =
            split_normal(mnist.train, model.info().normal_classes, 0.1, training.at("seed").get<uint64_t>());
        nlohmann::json sets = nlohmann::json::object();
        const auto dump = [&](const std::string& name, const ImageBatch& images, bool terms) {
            for (int i = 0; i < model.info().architecture.readers; ++i)
                write_floats(out + "/" + name + ".features" + (i > 0 ? std::to_string(i) : "") + ".f32",
                             reader_features(model, i, images));
            if (terms) write_floats(out + "/" + name + ".terms.f32", raw_terms(model, images));
            sets[name] = images.size();
            std::fprintf(stderr, "%s: %lld images\n", name.c_str(), static_cast<long long>(images.size()));
        };
        dump("validation", split.validation, true);
        for (Rescan rescan : all_rescans()) dump("pipeline " + rescan_name(rescan), rescanned(split.validation, rescan), true);
        dump("stroked", run_localization(model, split.validation).stroked, true);
        dump("characters", load_inputs(characters).images, true);
        dump("digits", load_inputs(digits).images, true);
        dump("mnist test", mnist.test.images, true);
        dump("bank train", split.train.images, false);
        ImageBatch first;
        for (int64_t i = 0; i < std::min<int64_t>(kBankRescanImages, split.train.images.size()); ++i)
            first.append(split.train.images.image(i));
        dump("bank variations", bank_rescans(first), false);
        std::ofstream(out + "/sets.json") << nlohmann::json{{"sets", sets}, {"model", model_path}}.dump(2) << "\n";
        return 0;
    } catch (const std::exception& error) {
        std::fprintf(stderr, "oddigit-shape-terms: %s\n", error.what());
        return 1;
    }
}
