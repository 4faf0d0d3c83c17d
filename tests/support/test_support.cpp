#include "test_support.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <filesystem>
#include <memory>

#include "oddigit/safetensors.h"

namespace oddigit::test {

const MnistSet& mnist() {
    static const std::unique_ptr<MnistSet> set = [] {
        try {
            return std::make_unique<MnistSet>(load_mnist(default_mnist_dir()));
        } catch (const std::exception& error) {
            ADD_FAILURE() << error.what() << " (run scripts/fetch-mnist.sh or oddigit-cli fetch-mnist)";
            throw;
        }
    }();
    return *set;
}

void write_pgm(const std::string& path, const float* image) {
    std::ofstream out(path, std::ios::binary);
    out << "P5\n" << kImageSide << ' ' << kImageSide << "\n255\n";
    for (int i = 0; i < kImagePixels; ++i) out.put(static_cast<char>(std::lround(image[i] * 255.0f)));
    if (!out) ADD_FAILURE() << "cannot write " << path;
}

void write_image_folder(const std::string& dir, const LabelledImages& data, const std::vector<std::string>& names,
                        int64_t count) {
    for (int64_t i = 0; i < count; ++i) {
        if (names.at(data.labels[i]).empty()) continue;
        const std::string folder = dir + "/" + names.at(data.labels[i]);
        std::filesystem::create_directories(folder);
        char name[32];
        std::snprintf(name, sizeof name, "%05lld.pgm", static_cast<long long>(i));
        write_pgm(folder + "/" + name, data.images.image(i));
    }
}

std::string scratch_dir() {
    namespace fs = std::filesystem;
    struct Folder {
        fs::path path;
        Folder() {
            std::string pattern = (fs::temp_directory_path() / "oddigit-test-XXXXXX").string();
            path = ::mkdtemp(pattern.data());
        }
        ~Folder() {
            std::error_code ignored;
            fs::remove_all(path, ignored);
        }
    };
    static Folder folder;
    static int counter = 0;
    const fs::path dir = folder.path / std::to_string(counter++);
    fs::create_directories(dir);
    return dir.string();
}

ImageBatch test_digits(const ClassSet& digits, int64_t count) {
    const LabelledImages& test = mnist().test;
    ImageBatch batch;
    for (int64_t i = 0; i < test.images.size() && batch.size() < count; ++i)
        if (digits.contains(test.labels[i])) batch.append(test.images.image(i));
    return batch;
}

ImageBatch held_out_digits(int64_t count) {
    const NormalSplit split = split_normal(mnist().train, ClassSet::all(), 0.1, 7);
    ImageBatch batch;
    batch.pixels.assign(split.validation.image(0), split.validation.image(count));
    return batch;
}

}  // namespace oddigit::test

#include <cmath>
#include <cstdio>
#include <random>

namespace oddigit::test {

ImageBatch foreign_images(int count, uint64_t seed) {
    std::mt19937_64 random(seed);
    std::uniform_real_distribution<float> unit(0.0f, 1.0f);
    std::uniform_int_distribution<int> position(2, 20);
    ImageBatch batch;
    for (int k = 0; k < count; ++k) {
        Image28 image{};
        const int x0 = position(random), y0 = position(random);
        for (int y = 0; y < kImageSide; ++y) {
            for (int x = 0; x < kImageSide; ++x) {
                float& p = image[y * kImageSide + x];
                switch (k % 5) {
                    case 0: p = unit(random); break;                          // noise
                    case 1: p = ((x + x0) / 2 + (y + y0) / 2) % 2; break;     // checkerboard
                    case 2: p = ((y + x0) / 3) % 2; break;                     // stripes
                    case 3: p = (x % 6 < 2) || (y % 6 < 2); break;             // grid
                    case 4: p = unit(random) < 0.12f; break;                   // scattered dots
                }
            }
        }
        batch.append(image.data());
    }
    return batch;
}

std::string fixture_model_path() { return ODDIGIT_TEST_MODEL; }

const AnomalyModel& fixture_model() {
    static const AnomalyModel model = AnomalyModel::load(fixture_model_path());
    return model;
}

std::string old_model_path() { return ODDIGIT_TEST_OLD_MODEL; }

uint64_t training_seed(uint64_t fallback) {
    const char* seed = std::getenv("ODDIGIT_TEST_SEED");
    return seed && *seed ? std::strtoull(seed, nullptr, 10) : fallback;
}

void print_measured(const std::string& name, double value) {
    std::printf("[ measured ] %s: %.4f\n", name.c_str(), value);
    std::fflush(stdout);
}

void copy_as_older_build(const std::string& source, const std::string& target) {
    safetensors::File file = safetensors::read(source);
    EXPECT_EQ(file.metadata.erase("oddigit.score"), 1u) << source << " names no score";
    safetensors::write(target, file);
}

}  // namespace oddigit::test
