// Writes MNIST as image folders, for the image-folder benchmarks (bench/image-folders.sh):
// OUT/train/<digit>/<index>.pgm and OUT/test/<digit>/<index>.pgm, 8-bit PGM of MNIST's own
// bytes, so `--as-is` reads back exactly the IDX files' images.
#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "oddigit/error.h"
#include "oddigit/class_set.h"
#include "oddigit/mnist.h"

namespace {

void write_part(const oddigit::LabelledImages& data, const oddigit::ClassSet& classes, int64_t per_class,
                const std::string& dir) {
    std::vector<int64_t> written(10, 0);
    for (int64_t i = 0; i < data.images.size(); ++i) {
        const int label = data.labels[i];
        if (!classes.contains(label) || (per_class > 0 && written[label] >= per_class)) continue;
        ++written[label];
        const std::string folder = dir + "/" + std::to_string(label);
        std::filesystem::create_directories(folder);
        char name[32];
        std::snprintf(name, sizeof name, "%05lld.pgm", static_cast<long long>(i));
        std::ofstream out(folder + "/" + name, std::ios::binary);
        out << "P5\n" << oddigit::kImageSide << ' ' << oddigit::kImageSide << "\n255\n";
        const float* image = data.images.image(i);
        for (int p = 0; p < oddigit::kImagePixels; ++p) out.put(static_cast<char>(std::lround(image[p] * 255.0f)));
        if (!out) throw oddigit::Error("cannot write " + folder + "/" + name);
    }
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app("Writes MNIST as image folders (one subfolder per digit) for the benchmarks");
    std::string mnist_dir = oddigit::default_mnist_dir(), out, classes_text = "all";
    int64_t per_class = 0;
    app.add_option("--data", mnist_dir, "the MNIST folder")->capture_default_str();
    app.add_option("--out", out, "the folder to write train/ and test/ in")->required();
    app.add_option("--classes", classes_text, "the digits written to train/ (test/ gets all ten)")->capture_default_str();
    app.add_option("--per-class", per_class, "the first N training images of each digit (0: all)")->capture_default_str();
    CLI11_PARSE(app, argc, argv);
    try {
        const oddigit::MnistSet mnist = oddigit::load_mnist(mnist_dir);
        write_part(mnist.train, oddigit::ClassSet::parse(classes_text), per_class, out + "/train");
        write_part(mnist.test, oddigit::ClassSet::all(), 0, out + "/test");
    } catch (const std::exception& error) {
        std::fprintf(stderr, "export-folder: error: %s\n", error.what());
        return 1;
    }
    return 0;
}
