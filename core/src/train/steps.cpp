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
        const torch::Tensor none = torch::full({batch.non_digits.size(0)}, kNotADigit, batch.labels.options());
        digit_loss = digit_loss + torch::cross_entropy_loss(discriminator.forward(batch.non_digits).digit_logits, none, {},
                                                            at::Reduction::Sum) / batch.whole_non_digits;
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

}  // namespace oddigit::detail
