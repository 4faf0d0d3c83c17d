#include "oddigit/mnist.h"

#include <cstdlib>
#include <filesystem>

#include "oddigit/error.h"
#include "oddigit/idx.h"

namespace oddigit {

namespace {

// MNIST's file names, accepting both the original "-idx3-ubyte" and the ".idx3-ubyte" spelling.
std::string find_file(const std::string& dir, const std::string& stem, const std::string& kind) {
    for (const std::string& name : {stem + "-" + kind, stem + "." + kind}) {
        for (const std::string& suffix : {std::string(), std::string(".gz")}) {
            const std::string path = dir + "/" + name + suffix;
            if (std::filesystem::is_regular_file(path)) return path;
        }
    }
    throw Error("MNIST file '" + stem + "-" + kind + "' (or .gz) not found in '" + dir +
                "'; fetch it with 'oddigit-cli fetch-mnist --dir " + dir + "' or pass --data");
}

// Throws Error unless labels (a header will do) is one byte label per image.
void check_labels(const IdxArray& labels, int64_t images, const std::string& labels_path) {
    if (labels.type != IdxType::UInt8 || labels.dims.size() != 1)
        throw Error("cannot read '" + labels_path + "': expected a 1-D unsigned byte label file");
    if (labels.dims[0] != images)
        throw Error("'" + labels_path + "' has " + std::to_string(labels.dims[0]) + " labels for " +
                    std::to_string(images) + " images");
}

LabelledImages load_split(const std::string& dir, const std::string& prefix) {
    LabelledImages set;
    set.images = read_idx_images(find_file(dir, prefix + "-images", "idx3-ubyte"));
    const std::string labels_path = find_file(dir, prefix + "-labels", "idx1-ubyte");
    IdxArray labels = read_idx(labels_path);
    check_labels(labels, set.images.size(), labels_path);
    for (uint8_t label : labels.u8)
        if (label > 9) throw Error("'" + labels_path + "' holds label " + std::to_string(label) + " (not a digit)");
    set.labels = std::move(labels.u8);
    return set;
}

}  // namespace

std::string default_mnist_dir() {
    if (const char* override_dir = std::getenv("ODDIGIT_DATA"); override_dir && *override_dir) return override_dir;
    if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg) return std::string(xdg) + "/oddigit/mnist";
    const char* home = std::getenv("HOME");
    return std::string(home && *home ? home : ".") + "/.local/share/oddigit/mnist";
}

void check_mnist(const std::string& dir, MnistFiles files) {
    for (const std::string prefix : {"train", "t10k"}) {
        if (files == MnistFiles::TestSet && prefix == "train") continue;
        const std::string images_path = find_file(dir, prefix + "-images", "idx3-ubyte");
        const IdxArray images = read_idx_header(images_path);
        check_image_shape(images, images_path);
        const std::string labels_path = find_file(dir, prefix + "-labels", "idx1-ubyte");
        check_labels(read_idx_header(labels_path), images.dims[0], labels_path);
    }
}

MnistSet load_mnist(const std::string& dir) {
    return MnistSet{load_split(dir, "train"), load_mnist_test(dir)};
}

LabelledImages load_mnist_test(const std::string& dir) { return load_split(dir, "t10k"); }


}  // namespace oddigit
