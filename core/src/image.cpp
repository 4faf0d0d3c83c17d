#include "oddigit/image.h"

#include <algorithm>

namespace oddigit {

Image28 ImageBatch::at(int64_t i) const {
    Image28 result;
    std::copy_n(image(i), kImagePixels, result.begin());
    return result;
}

void LabelledImages::keep_first(int64_t count) {
    if (count >= images.size()) return;
    images.pixels.resize(static_cast<size_t>(count) * kImagePixels);
    labels.resize(static_cast<size_t>(count));
}

}  // namespace oddigit
