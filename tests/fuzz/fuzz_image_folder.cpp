// The image folder loader's decoder path (train --images, the Train view's image folder) on
// any bytes: one file in a flat folder, read as it would be preprocessed and taken as it is
// (--as-is). The folder loads as one image in [0, 1] of its one class, or is refused with Error.
#include <cstdlib>
#include <filesystem>

#include "fuzz_input.h"
#include "oddigit/error.h"
#include "oddigit/image_folder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const std::string folder = [] {
        const std::string path = oddigit::fuzz::folder() + "/images";
        std::filesystem::create_directories(path);
        return path;
    }();
    oddigit::fuzz::write_input(data, size, "images/input.png");
    for (bool as_is : {false, true}) {
        oddigit::ImageFolderParams params;
        params.as_is = as_is;
        try {
            const oddigit::ImageFolder loaded = oddigit::load_image_folder(folder, params);
            if (loaded.images.images.size() != 1 || loaded.images.labels != std::vector<uint8_t>{0} ||
                loaded.class_names != std::vector<std::string>{"images"})
                std::abort();
            for (float pixel : loaded.images.images.pixels)
                if (!(pixel >= 0.0f && pixel <= 1.0f)) std::abort();
        } catch (const oddigit::Error&) {
        }
    }
    return 0;
}
