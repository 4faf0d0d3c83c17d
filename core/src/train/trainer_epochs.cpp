// The loops of a training run's epochs (train/trainer.h).
#include "train/reader_data.h"
#include "train/synthetic.h"
#include "train/trainer.h"

namespace oddigit::detail {

template <typename Step, typename Finish>
bool Trainer::run_epoch(TrainPhase phase, int epoch, int epochs, Step take_step, Finish finish) {
    const Stopwatch epoch_start;
    const double exchange_start = group_->exchange_seconds().total();
    at::Generator random = epoch_random(phase, epoch);
    const torch::Tensor order = epoch_order(random);
    for (int step = 1; step <= steps_; ++step) {
        if (!all_ranks_continue()) return false;
        const Stopwatch step_start;
        const double step_exchange_start = step_started();
        TrainProgress progress = progress_.at(phase, epoch, epochs, step);
        const int64_t batch_images = take_step(batch_indices(order, step), random, progress);
        step_done(progress, batch_images, step_start, step_exchange_start);
    }
    const double validation_value = finish();
    progress_.epoch_done({phase, epoch, epochs, samples(), validation_value, epoch_start.seconds(),
                          group_->exchange_seconds().total() - exchange_start});
    return true;
}

// The whole batch's figures, summed over the ranks: every rank sees the same, a NaN included.
torch::Tensor Trainer::summed_figures(const std::vector<torch::Tensor>& figures) {
    const torch::Tensor summed = torch::stack(figures).detach().to(torch::kCPU, torch::kDouble);
    group_->sum({summed}, &ExchangeSeconds::step_figures);
    return summed;
}

bool Trainer::gan_epoch(int epoch) {
    auto& impl = model_.impl();
    impl.generator->train();
    impl.discriminator->train();
    const auto step = [&](const torch::Tensor& indices, at::Generator&, TrainProgress& progress) {
        // Every rank draws the whole batch's noise and non-digits, so the random stream
        // stays the same on all of them, and trains on its share.
        const torch::Tensor batch = images_.index_select(0, indices), labels = labels_.index_select(0, indices);
        const torch::Tensor noise = torch::randn({batch.size(0), params_.architecture.latent_dim}, noise_).to(device_);
        const torch::Tensor non_digits = synthetic_non_digits(batch, labels, class_digits_, noise_);
        GanBatch shares{share(batch), share(labels), share(noise), share(non_digits), non_digits.size(0) >= group_->world_size(),
                        static_cast<double>(batch.size(0)), static_cast<double>(non_digits.size(0))};
        const GanLosses losses = gan_step(*impl.generator, *impl.discriminator, *optimizers_.generator,
                                          *optimizers_.discriminator, shares, sum_gradients());

        const torch::Tensor figures =
            summed_figures({losses.discriminator, losses.digit, losses.generator,
                            losses.real_logits.sum() / shares.whole_batch, losses.fake_logits.sum() / shares.whole_batch});
        const auto figure = figures.accessor<double, 1>();
        progress.discriminator_loss = figure[0];
        progress.digit_loss = figure[1];
        progress.generator_loss = figure[2];
        progress.d_real = figure[3];
        progress.d_fake = figure[4];
        check_finite(progress.discriminator_loss, "discriminator", progress);
        check_finite(progress.generator_loss, "generator", progress);
        return batch.size(0);
    };
    return run_epoch(TrainPhase::Gan, epoch, params_.gan_epochs, step, [] { return 0.0; });
}

bool Trainer::encoder_epoch(int epoch) {
    auto& impl = model_.impl();
    impl.encoder->train();
    const auto step = [&](const torch::Tensor& indices, at::Generator& random, TrainProgress& progress) {
        // As in the GAN phase, every rank corrupts the whole batch and takes its share.
        const torch::Tensor batch = images_.index_select(0, indices);
        const torch::Tensor clean = share(batch);
        const torch::Tensor input = share(corrupt(batch, params_.encoder_corruption, random));
        const torch::Tensor loss = encoder_step(*impl.encoder, *impl.generator, *impl.discriminator, *optimizers_.encoder,
                                                clean, input, params_.terms.kappa, batch.size(0), sum_gradients());

        progress.encoder_loss = summed_figures({loss})[0].item<double>();
        check_finite(progress.encoder_loss, "encoder", progress);
        return batch.size(0);
    };
    // The epoch's figure: the held-out images' mean stroke channel.
    const auto finish = [&] {
        impl.encoder->eval();  // scoring takes the model as it is: in evaluation mode
        calibrate_all(model_, validation_images_, prepared_.validation_drawn);
        const std::vector<float>& strokes = model_.info().mnist.validation_stroke;
        impl.encoder->train();
        return std::accumulate(strokes.begin(), strokes.end(), 0.0) / static_cast<double>(strokes.size());
    };
    return run_epoch(TrainPhase::Encoder, epoch, params_.encoder_epochs, step, finish);
}

bool Trainer::reader_epoch(int epoch) {
    auto& impl = model_.impl();
    impl.reader->train();
    const auto step = [&](const torch::Tensor& indices, at::Generator& random, TrainProgress& progress) {
        // As in the other phases, every rank varies the whole batch and takes its share.
        const torch::Tensor batch = images_.index_select(0, indices), labels = labels_.index_select(0, indices);
        const torch::Tensor written = writer_variation(batch, random);
        const auto cross_entropy_step = [&] {
            const torch::Tensor varied = params_.reader.scanner_variation ? scanner_variation(written, random) : written;
            const torch::Tensor negatives = reader_negatives(params_.reader.negatives, batch, labels, impl, random);
            return reader_step(*impl.reader, *optimizers_.reader, share(varied), share(labels), share(negatives),
                               static_cast<double>(batch.size(0)), static_cast<double>(negatives.size(0)),
                               sum_gradients());
        };
        // The contrastive step runs in one process only (TrainParams are checked so).
        const torch::Tensor loss =
            params_.reader.contrastive
                ? reader_contrastive_step(*impl.reader, *optimizers_.reader, written, writer_variation(batch, random), labels)
                : cross_entropy_step();
        progress.reader_loss = summed_figures({loss})[0].item<double>();
        check_finite(progress.reader_loss, "reader", progress);
        return batch.size(0);
    };
    const auto finish = [&] {
        impl.reader->eval();
        if (model_.info().reader_term == ReaderTerm::Neighbours) impl.reader->set_bank(bank_features());
        calibrate_all(model_, validation_images_, prepared_.validation_drawn);
        return 0.0;
    };
    return run_epoch(TrainPhase::Reader, epoch, params_.reader.epochs, step, finish);
}

// The first reader's unit-length features of up to kBankImages training digits, for the
// Neighbours term: a seeded choice, the same on every rank.
torch::Tensor Trainer::bank_features() {
    constexpr int64_t kBankImages = 20000, kChunk = 512;
    torch::NoGradGuard no_grad;
    const torch::Tensor chosen =
        torch::randperm(train_count_, at::detail::createCPUGenerator(params_.seed + 3), torch::kLong)
            .narrow(0, 0, std::min(kBankImages, train_count_))
            .to(device_);
    std::vector<torch::Tensor> features;
    for (int64_t begin = 0; begin < chosen.size(0); begin += kChunk) {
        const torch::Tensor images = images_.index_select(0, chosen.narrow(0, begin, std::min(kChunk, chosen.size(0) - begin)));
        features.push_back(model_.impl().reader->reader(0)->forward(images).features);
    }
    const ImageBatch& extra = banks_rescans(params_) ? prepared_.bank_rescans : ImageBatch{};
    for (int64_t begin = 0; begin < extra.size(); begin += kChunk)
        features.push_back(
            model_.impl().reader->reader(0)->forward(to_tensor(extra, begin, std::min(kChunk, extra.size() - begin), device_)).features);
    return torch::nn::functional::normalize(torch::cat(features), torch::nn::functional::NormalizeFuncOptions().dim(1));
}

// Returns false when cancelled: the model is left without a density, which a resume fits.
bool Trainer::fit_density() {
    const int64_t total = images_.size(0);
    const auto chunks_for = [](int64_t images) {
        return static_cast<int>((images + kDensityChunk - 1) / kDensityChunk);
    };
    const Stopwatch start;
    Stopwatch chunk_start, kept;
    // A resumed fit goes on from the images its kept sums hold.
    const int64_t from = done_.density_images;
    int64_t reported = from;
    const auto after_chunk = [&](int64_t fitted) {
        // Step 0 of a one-epoch phase after the GAN: global_step stays at the GAN's last step.
        TrainProgress progress = progress_.at(TrainPhase::Density, 1, 1, 0);
        progress.step = chunks_for(fitted);
        progress.steps = chunks_for(total);
        const double chunk_seconds = chunk_start.seconds();
        chunk_start.restart();
        const double density_left = start.seconds() / static_cast<double>(fitted - from) * (total - fitted);
        progress_.density_chunk_done(progress, fitted - reported, chunk_seconds, density_left);
        reported = fitted;
        // The sums are kept now and then, and once all are in, before the fit's long last
        // step: a stopped run goes on from them.
        if (fitted == total || kept.seconds() >= kDensityKeepSeconds) {
            done_.density_images = fitted;
            save_resume();
            kept.restart();
        }
        return all_ranks_continue();
    };
    const bool fitted = detail::fit_density(model_.impl(), images_, labels_, after_chunk, from);
    if (fitted) done_.density_images = 0;
    return fitted;
}

}  // namespace oddigit::detail
