// The image decoder and MNIST-style preprocessing on any bytes, as a dropped file would
// reach them: an Image28 in [0, 1] or an Error.
#include <cmath>
#include <cstdlib>

#include "fuzz_input.h"
#include "oddigit/error.h"
#include "oddigit/preprocess.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string path = oddigit::fuzz::write_input(data, size, "input.png");
    try {
        const oddigit::LoadedImages loaded = oddigit::load_inputs(path);
        for (float pixel : loaded.images.pixels)
            if (!(pixel >= 0.0f && pixel <= 1.0f)) std::abort();
    } catch (const oddigit::Error&) {
    }
    return 0;
}
