#include "commands.h"

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "cli_support.h"
#include "oddigit/distributed.h"
#include "oddigit/error.h"
#include "oddigit/mnist.h"
#include "oddigit/train.h"
#include "terminal.h"

namespace oddigit::cli {

namespace {

TrainCallbacks terminal_callbacks(ProgressLine& line, TrainProgress& last) {
    TrainCallbacks callbacks;
    callbacks.on_progress = [&line, &last](const TrainProgress& p) {
        last = p;
        line.update(progress_text(p));
    };
    callbacks.on_epoch = [&line, &last](const EpochSummary& e) {
        line.finish();
        char time[96];
        if (e.exchange_seconds > 0)
            std::snprintf(time, sizeof time, "(%.1f s, %.1f s of it with the other ranks)", e.seconds, e.exchange_seconds);
        else
            std::snprintf(time, sizeof time, "(%.1f s)", e.seconds);
        if (e.phase == TrainPhase::Gan)
            std::printf("GAN epoch %d/%d: D %.3f  G %.3f  D(x) %.2f  D(G(z)) %.2f  digit head %.3f  %s\n", e.epoch,
                        e.epochs, last.discriminator_loss, last.generator_loss, last.d_real, last.d_fake,
                        last.digit_loss, time);
        else
            std::printf("encoder epoch %d/%d: loss %.4f  held-out mean residual %.4f  %s\n", e.epoch, e.epochs,
                        last.encoder_loss, e.validation_mean_stroke, time);
        std::fflush(stdout);
    };
    return callbacks;
}

}  // namespace

int run_train(const TrainOptions& options) {
    TrainParams params = options.params;
    params.normal_classes = ClassSet::parse(options.normal);
    DistributedParams& distributed = params.distributed;
    distributed = distributed_from_environment();
    if (options.world_size >= 0) distributed.world_size = options.world_size;
    if (options.rank >= 0) distributed.rank = options.rank;
    if (!options.master.empty()) {
        const size_t colon = options.master.rfind(':');
        if (colon == std::string::npos || colon == 0) throw Error("--master takes HOST:PORT, not '" + options.master + "'");
        distributed.master_addr = options.master.substr(0, colon);
        try {
            size_t used = 0;
            distributed.master_port = std::stoi(options.master.substr(colon + 1), &used);
            if (used != options.master.size() - colon - 1) throw std::invalid_argument("trailing characters");
        } catch (const std::exception&) {
            throw Error("--master takes HOST:PORT, not '" + options.master + "'");
        }
    }
    check_distributed(distributed);
    // One GPU per rank on a node: torchrun numbers the ranks of each node in $LOCAL_RANK.
    if (params.device == "cuda" && distributed.world_size > 1)
        if (const char* local_rank = std::getenv("LOCAL_RANK"); local_rank && *local_rank)
            params.device = std::string("cuda:") + local_rank;
    if (params.output_path.empty() && distributed.rank == 0) throw Error("--out is required");
    if (params.output_path.empty() && params.resume)
        throw Error("--resume needs --out on every rank: each reads the resume file beside it");
    const std::string data_dir = data_or_default(options.data_dir);
    const MnistSet mnist = load_mnist(data_dir);
    NormalSplit split = split_normal(mnist.train, params.normal_classes, options.validation_fraction, params.seed);
    if (options.limit > 0) split.train.keep_first(options.limit);
    std::printf("training on %lld images of classes %s (%lld held out for validation) from %s\n",
                static_cast<long long>(split.train.images.size()), params.normal_classes.to_string().c_str(),
                static_cast<long long>(split.validation.size()), data_dir.c_str());
    if (distributed.world_size > 1)
        std::printf("rank %d of %d, meeting at %s:%d; %d images of each batch of %d\n", distributed.rank,
                    distributed.world_size, distributed.master_addr.c_str(), distributed.master_port,
                    params.batch_size / distributed.world_size, params.batch_size);
    std::fflush(stdout);

    ProgressLine line;
    TrainProgress last;
    TrainResult result = train(split.train, split.validation, params, terminal_callbacks(line, last));
    line.finish();
    if (!params.output_path.empty()) {
        calibrate_canvas_where_built(result.model, split.validation);
        result.model.save(rank_output_path(params.output_path, distributed.rank));
    }
    const ModelInfo& info = result.model.info();
    std::printf("trained in %s (%.1f s); model %s; stroke threshold %.5f, shape threshold %.5f (%.0f%% of held-out "
                "images unflagged)\n",
                format_duration(result.seconds).c_str(), result.seconds,
                params.output_path.empty() ? "not saved by this rank"
                                           : ("saved to " + rank_output_path(params.output_path, distributed.rank)).c_str(),
                info.stroke_threshold, info.shape_threshold, 100.0 * info.threshold_quantile);
    if (has_canvas_calibration(info))
        std::printf("for drawings (the held-out images redrawn as the canvas draws): stroke threshold %.5f, shape "
                    "threshold %.5f\n",
                    info.canvas.stroke, info.canvas.shape);
    if (distributed.world_size > 1)
        std::printf("time with the other ranks: %.1f s (gradients %.1f s, BatchNorm statistics %.1f s, "
                    "losses and go-on flags %.1f s), waits for a slower rank included\n",
                    result.exchange.total(), result.exchange.gradients, result.exchange.batch_norm,
                    result.exchange.step_figures);
    return 0;
}

}  // namespace oddigit::cli
