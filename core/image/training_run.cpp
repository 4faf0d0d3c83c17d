#include "oddigit/training_run.h"

#include <algorithm>

#include "oddigit/canvas_calibration.h"
#include "oddigit/image_folder.h"
#include "oddigit/mnist.h"
#include "oddigit/rescan.h"

namespace oddigit {

namespace {

ImageBatch first_images(const ImageBatch& images, int64_t count) {
    const auto begin = images.pixels.begin();
    return {std::vector<float>(begin, begin + std::min(count, images.size()) * kImagePixels)};
}

}  // namespace

SourceImages load_source_images(const DataSource& source, const std::string& mnist_dir) {
    if (!source.is_folder()) return {load_mnist(mnist_dir).train, {}};
    ImageFolderParams params;
    params.as_is = source.as_is;
    ImageFolder folder = load_image_folder(source.folder, params);
    return {std::move(folder.images), std::move(folder.class_names)};
}

TrainResult run_training(const RunPlan& plan, const TrainCallbacks& callbacks, TrainControl* control,
                         const std::function<void(const RunData&)>& on_data) {
    const SourceImages source = load_source_images(plan.params.data_source, plan.mnist_dir);
    const RunData data = split_for(plan, source.images, source.class_names);
    if (on_data) on_data(data);
    PreparedImages prepared;
    prepared.validation_drawn = redraw_as_drawn(data.split.validation);
    if (banks_rescans(data.params))
        prepared.bank_rescans = bank_rescans(first_images(data.split.train.images, kBankRescanImages));
    return train(data.split.train, data.split.validation, data.params, callbacks, control, prepared);
}

}  // namespace oddigit
