#include "oddigit/mnist.h"

#include <algorithm>
#include <filesystem>
#include <cctype>
#include <cstdlib>
#include <numeric>
#include <random>
#include <sstream>

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

ClassSet ClassSet::all() {
    ClassSet set;
    set.mask_ = 0x3FF;
    return set;
}

ClassSet ClassSet::single(int digit) {
    ClassSet set;
    set.insert(digit);
    return set;
}

void ClassSet::insert(int digit) {
    if (digit < 0 || digit > 9) throw Error("not a digit class: " + std::to_string(digit));
    mask_ |= static_cast<uint16_t>(1u << digit);
}

int ClassSet::count() const {
    int n = 0;
    for (int d = 0; d < 10; ++d) n += contains(d);
    return n;
}

ClassSet ClassSet::parse(const std::string& text) {
    if (text == "all") return all();
    const auto bad = [&] { return Error("invalid digit classes '" + text + "': use e.g. 3, 0,2,5, 0-4 or all"); };
    ClassSet set;
    std::stringstream items(text);
    std::string item;
    while (std::getline(items, item, ',')) {
        if (item.size() == 1 && std::isdigit(static_cast<unsigned char>(item[0]))) {
            set.insert(item[0] - '0');
        } else if (item.size() == 3 && item[1] == '-' && std::isdigit(static_cast<unsigned char>(item[0])) &&
                   std::isdigit(static_cast<unsigned char>(item[2])) && item[0] <= item[2]) {
            for (int d = item[0] - '0'; d <= item[2] - '0'; ++d) set.insert(d);
        } else {
            throw bad();
        }
    }
    if (set.empty() || (!text.empty() && text.back() == ',')) throw bad();
    return set;
}

std::string ClassSet::to_string() const {
    if (is_all()) return "all";
    std::string text;
    for (int d = 0; d < 10; ++d) {
        if (!contains(d)) continue;
        if (!text.empty()) text += ',';
        text += static_cast<char>('0' + d);
    }
    return text;
}

ImageBatch images_of(const LabelledImages& data, const ClassSet& classes) {
    ImageBatch images;
    for (int64_t i = 0; i < data.images.size(); ++i)
        if (classes.contains(data.labels[i])) images.append(data.images.image(i));
    return images;
}

NormalSplit split_normal(const LabelledImages& data, const ClassSet& normal, double validation_fraction,
                         uint64_t seed) {
    std::vector<int64_t> indices;
    for (int64_t i = 0; i < data.images.size(); ++i)
        if (normal.contains(data.labels[i])) indices.push_back(i);
    std::mt19937_64 random(seed);
    std::shuffle(indices.begin(), indices.end(), random);
    const auto validation_count = static_cast<size_t>(validation_fraction * indices.size() + 0.5);
    if (indices.size() < 2 || validation_count == 0 || validation_count >= indices.size())
        throw Error("too few images of classes " + normal.to_string() + " to hold out a validation set (" +
                    std::to_string(indices.size()) + " images)");
    // Sorted within each side, so the split does not depend on the shuffle's order.
    std::sort(indices.begin(), indices.begin() + validation_count);
    std::sort(indices.begin() + validation_count, indices.end());
    NormalSplit split;
    for (size_t k = 0; k < indices.size(); ++k) {
        if (k < validation_count) {
            split.validation.append(data.images.image(indices[k]));
        } else {
            split.train.images.append(data.images.image(indices[k]));
            split.train.labels.push_back(data.labels[indices[k]]);
        }
    }
    return split;
}

}  // namespace oddigit
