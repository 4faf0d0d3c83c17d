#include "train/trainer.h"

namespace oddigit {

TrainResult train(const LabelledImages& train_set, const ImageBatch& validation_images, const TrainParams& params,
                  const TrainCallbacks& callbacks, TrainControl* control, const PreparedImages& prepared) {
    init_worker_thread();
    try {
        detail::Trainer trainer(train_set, validation_images, params, callbacks, control, prepared);
        return trainer.run();
    } catch (const c10::Error& error) {
        throw Error(std::string("training failed: ") + error.what_without_backtrace());
    }
}

}  // namespace oddigit
