#pragma once
// The MNIST data set: where it is kept, and reading it.
#include <cstdint>
#include <string>
#include <vector>

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

}  // namespace oddigit
