#pragma once
// The MNIST data set and the choice of "normal" classes.
#include <cstdint>
#include <string>

#include "oddigit/image.h"

namespace oddigit {

struct MnistSet {
    LabelledImages train;  // 60,000
    LabelledImages test;   // 10,000
};

// Where the set-up script stores MNIST: $ODDIGIT_DATA if set, else
// $XDG_DATA_HOME/oddigit/mnist, else ~/.local/share/oddigit/mnist.
std::string default_mnist_dir();

// Which of MNIST's files a caller needs: all four, or the test set's two (scoring, Explore).
enum class MnistFiles { All, TestSet };

// Loads the four MNIST files from dir, each plain or ".gz".
// Throws Error naming the missing or damaged file, or when images and labels disagree.
MnistSet load_mnist(const std::string& dir);
// Loads the test set's two files alone; throws Error as load_mnist() does.
LabelledImages load_mnist_test(const std::string& dir);

// Checks in a few milliseconds that dir holds the MNIST files asked for, reading only their
// headers: image and label counts that agree, 28x28 images, 1-D byte labels. Throws Error as
// load_mnist does for a missing or foreign file; damage past a header shows only on loading.
void check_mnist(const std::string& dir, MnistFiles files = MnistFiles::All);

// A set of digit classes, e.g. the classes a model treats as normal.
class ClassSet {
public:
    ClassSet() = default;
    static ClassSet all();
    static ClassSet single(int digit);
    // Parses "3", "0,2,5", "0-4,7" or "all". Throws Error on anything else.
    static ClassSet parse(const std::string& text);

    bool contains(int digit) const { return digit >= 0 && digit <= 9 && ((mask_ >> digit) & 1u); }
    void insert(int digit);
    bool empty() const { return mask_ == 0; }
    bool is_all() const { return mask_ == 0x3FF; }
    int count() const;
    // "all", or the digits joined by commas, e.g. "0,2,5". parse(to_string()) round-trips.
    std::string to_string() const;
    bool operator==(const ClassSet& other) const { return mask_ == other.mask_; }

private:
    uint16_t mask_ = 0;
};

// The images of data whose label is one of classes, in their order.
ImageBatch images_of(const LabelledImages& data, const ClassSet& classes);

struct NormalSplit {
    LabelledImages train;   // normal images the networks learn from, with their digits
    ImageBatch validation;  // normal images held out for the threshold and model choice
};

// Keeps the images of the normal classes and holds out validation_fraction of them,
// chosen at random with seed. Throws Error when no image is left on either side.
NormalSplit split_normal(const LabelledImages& data, const ClassSet& normal,
                         double validation_fraction, uint64_t seed);

}  // namespace oddigit
