#include "oddigit/image.h"

#include <algorithm>

namespace oddigit {

Image28 ImageBatch::at(int64_t i) const {
    Image28 result;
    std::copy_n(image(i), kImagePixels, result.begin());
    return result;
}

}  // namespace oddigit
