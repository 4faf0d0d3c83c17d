#include "steps.h"

#include "score/terms.h"

namespace oddigit::detail {

namespace {
// Weight of the digit head's cross-entropy in D's loss, beside the hinge loss.
constexpr double kDigitLossWeight = 1.0;
}  // namespace

GanLosses gan_step(GeneratorImpl& generator, DiscriminatorImpl& discriminator, torch::optim::Adam& generator_optimizer,
                   torch::optim::Adam& discriminator_optimizer, const GanBatch& batch, const GradientSum& sum_gradients) {
    // 1. Discriminator.
    const torch::Tensor fake = generator.forward(batch.noise);
    const Critique real_critique = discriminator.forward(batch.real);
    const torch::Tensor fake_logits = discriminator.forward(fake.detach()).logits;
    torch::Tensor digit_loss =
        torch::cross_entropy_loss(real_critique.digit_logits, batch.labels, {}, at::Reduction::Sum) / batch.whole_batch;
    if (batch.learn_non_digits) {
        const torch::Tensor logits = discriminator.forward(batch.non_digits).digit_logits;
        // "None of them" is the head's last output.
        const torch::Tensor none = torch::full({logits.size(0)}, logits.size(1) - 1, batch.labels.options());
        digit_loss = digit_loss + torch::cross_entropy_loss(logits, none, {}, at::Reduction::Sum) / batch.whole_non_digits;
    }
    const torch::Tensor discriminator_loss =
        (torch::relu(1 - real_critique.logits).sum() + torch::relu(1 + fake_logits).sum()) / batch.whole_batch +
        kDigitLossWeight * digit_loss;
    discriminator_optimizer.zero_grad();
    discriminator_loss.backward();
    sum_gradients(discriminator);
    discriminator_optimizer.step();

    // 2. Generator.
    const torch::Tensor generator_loss = -discriminator.forward(fake).logits.sum() / batch.whole_batch;
    generator_optimizer.zero_grad();
    generator_loss.backward();
    sum_gradients(generator);
    generator_optimizer.step();
    return {discriminator_loss, digit_loss, generator_loss, real_critique.logits, fake_logits};
}

torch::Tensor encoder_step(EncoderImpl& encoder, GeneratorImpl& generator, DiscriminatorImpl& discriminator,
                           torch::optim::Adam& optimizer, const torch::Tensor& clean, const torch::Tensor& input,
                           float kappa, int64_t whole_batch, const GradientSum& sum_gradients) {
    const torch::Tensor reconstruction = generator.forward(encoder.forward(input));
    const torch::Tensor loss = izif_loss(discriminator, clean, reconstruction, kappa).sum() / whole_batch;
    optimizer.zero_grad();
    loss.backward();
    sum_gradients(encoder);
    optimizer.step();
    return loss;
}

torch::Tensor reader_step(ReadersImpl& readers, torch::optim::Adam& optimizer, const torch::Tensor& digits,
                          const torch::Tensor& labels, const torch::Tensor& non_digits, double whole_batch,
                          double whole_non_digits, const GradientSum& sum_gradients) {
    torch::Tensor loss = torch::zeros({}, digits.options());
    for (int i = 0; i < readers.count(); ++i) {
        DigitReaderImpl& reader = *readers.reader(i);
        const torch::Tensor logits = reader.forward(digits).logits;
        loss = loss + torch::cross_entropy_loss(logits, labels, {}, at::Reduction::Sum) / whole_batch;
        if (whole_non_digits > 0) {
            // "None of them" is the last output.
            const torch::Tensor none = torch::full({non_digits.size(0)}, logits.size(1) - 1, labels.options());
            loss = loss + torch::cross_entropy_loss(reader.forward(non_digits).logits, none, {}, at::Reduction::Sum) /
                              whole_non_digits;
        }
    }
    loss = loss / readers.count();
    optimizer.zero_grad();
    loss.backward();
    sum_gradients(readers);
    optimizer.step();
    return loss;
}

torch::Tensor reader_contrastive_step(ReadersImpl& readers, torch::optim::Adam& optimizer, const torch::Tensor& view,
                                      const torch::Tensor& other_view, const torch::Tensor& labels) {
    constexpr double kTemperature = 0.1;
    const torch::Tensor both = torch::cat({view, other_view});
    const torch::Tensor classes = torch::cat({labels, labels});
    const torch::Tensor self = torch::eye(both.size(0), torch::TensorOptions().dtype(torch::kBool).device(both.device()));
    const torch::Tensor positive = classes.unsqueeze(0).eq(classes.unsqueeze(1)).logical_and(self.logical_not());
    torch::Tensor loss = torch::zeros({}, view.options());
    for (int i = 0; i < readers.count(); ++i) {
        const torch::Tensor z = torch::nn::functional::normalize(readers.reader(i)->forward(both).features,
                                                                 torch::nn::functional::NormalizeFuncOptions().dim(1));
        const torch::Tensor similarity = (z.mm(z.t()) / kTemperature).masked_fill(self, -1e9);
        const torch::Tensor log_probability = similarity - torch::logsumexp(similarity, 1, true);
        const torch::Tensor per_anchor =
            -(log_probability * positive).sum(1) / positive.sum(1).clamp_min(1).to(log_probability.scalar_type());
        loss = loss + per_anchor.mean();
    }
    loss = loss / readers.count();
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
    return loss;
}

}  // namespace oddigit::detail
