#include "oddigit/image_folder.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "oddigit/error.h"
#include "test_support.h"

namespace oddigit {
namespace {

const std::vector<std::string> kDigitNames = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};

// The message of the Error load_image_folder() throws for dir, or "" when it reads it.
std::string refusal(const std::string& dir, bool as_is = false) {
    ImageFolderParams params;
    params.as_is = as_is;
    try {
        load_image_folder(dir, params);
    } catch (const Error& error) {
        return error.what();
    }
    return {};
}

// MNIST's first test images written as a folder per digit and read back as they are: the same
// images, labels and order, and the class names are the folders'.
TEST(ImageFolder, ReadsMnistWrittenAsAFolderBackUnchanged) {
    const std::string dir = test::scratch_dir() + "/digits";
    const LabelledImages& mnist = test::mnist().test;
    const int64_t count = 300;
    test::write_image_folder(dir, mnist, kDigitNames, count);
    ImageFolderParams params;
    params.as_is = true;
    const ImageFolder folder = load_image_folder(dir, params);
    EXPECT_EQ(folder.class_names, kDigitNames);
    EXPECT_EQ(image_folder_classes(dir), kDigitNames);
    ASSERT_EQ(folder.images.images.size(), count);
    EXPECT_EQ(folder.files.front(), "7/00000.pgm");
    for (int64_t i = 0; i < count; ++i) {
        EXPECT_EQ(folder.images.labels[i], mnist.labels[i]) << i;
        EXPECT_TRUE(std::equal(folder.images.images.image(i), folder.images.images.image(i) + kImagePixels,
                               mnist.images.image(i)))
            << "image " << i << " changed on the way";
    }
    // Preprocessed as any image file (centred by mass, fitted to 20x20), an MNIST digit stays
    // close to itself.
    const ImageFolder preprocessed = load_image_folder(dir);
    double mean_difference = 0;
    for (int64_t i = 0; i < count; ++i)
        for (int p = 0; p < kImagePixels; ++p)
            mean_difference += std::abs(preprocessed.images.images.image(i)[p] - mnist.images.image(i)[p]);
    mean_difference /= static_cast<double>(count * kImagePixels);
    test::print_measured("mean pixel change by preprocessing", mean_difference);
    EXPECT_LT(mean_difference, 0.05);
}

// A folder of images without subfolders is one class, named by the folder.
TEST(ImageFolder, AFlatFolderIsOneClassNamedByIt) {
    const std::string dir = test::scratch_dir() + "/sevens";
    std::filesystem::create_directories(dir);
    const ImageBatch sevens = test::test_digits(ClassSet::single(7), 5);
    for (int64_t i = 0; i < sevens.size(); ++i) test::write_pgm(dir + "/seven" + std::to_string(i) + ".pgm", sevens.image(i));
    const ImageFolder folder = load_image_folder(dir + "/");
    EXPECT_EQ(folder.class_names, std::vector<std::string>{"sevens"});
    EXPECT_EQ(folder.images.images.size(), 5);
    EXPECT_EQ(std::count(folder.images.labels.begin(), folder.images.labels.end(), 0), 5);
}

// Each folder it cannot learn from is refused with one line naming it and saying why.
TEST(ImageFolder, RefusesWhatItCannotLearnFrom) {
    const std::string root = test::scratch_dir();
    const float* digit = test::mnist().test.images.image(0);
    const auto folder = [&](const std::string& name) {
        std::filesystem::create_directories(root + "/" + name);
        return root + "/" + name;
    };
    EXPECT_NE(refusal(root + "/missing").find("is not a folder"), std::string::npos);

    const std::string mixed = folder("mixed");
    test::write_pgm(folder("mixed/a") + "/1.pgm", digit);
    test::write_pgm(mixed + "/stray.pgm", digit);
    EXPECT_NE(refusal(mixed).find("beside subfolders"), std::string::npos);

    const std::string empty_class = folder("empty_class");
    test::write_pgm(folder("empty_class/a") + "/1.pgm", digit);
    folder("empty_class/b");
    EXPECT_NE(refusal(empty_class).find("empty_class/b' holds no image"), std::string::npos);
    EXPECT_EQ(image_folder_classes(empty_class), (std::vector<std::string>{"a", "b"})) << "the layout alone is read";

    const std::string many = folder("many");
    for (int c = 0; c <= kMaxClasses; ++c) test::write_pgm(folder("many/c" + std::to_string(c)) + "/1.pgm", digit);
    EXPECT_NE(refusal(many).find("33 class folders"), std::string::npos);

    const std::string corrupt = folder("corrupt");
    test::write_pgm(corrupt + "/good.pgm", digit);
    std::ofstream(corrupt + "/bad.png") << "not a PNG";
    EXPECT_NE(refusal(corrupt).find("bad.png"), std::string::npos);

    const std::string large = folder("large");
    std::ofstream(large + "/wide.pgm", std::ios::binary) << "P5\n30 28\n255\n" << std::string(30 * 28, '\0');
    EXPECT_EQ(refusal(large), "") << "preprocessing frames any size";
    EXPECT_NE(refusal(large, true).find("30x28, not 28x28"), std::string::npos);
}

// Links: a class folder that links back to its parent is read one level deep like any other (so
// it cannot loop), and a link that cannot be followed (a link to itself) is refused, named.
TEST(ImageFolder, LinksAreFollowedOneStepAndALoopIsRefusedByName) {
    namespace fs = std::filesystem;
    const float* digit = test::mnist().test.images.image(0);
    const std::string root = test::scratch_dir() + "/linked";
    fs::create_directories(root + "/a");
    test::write_pgm(root + "/a/1.pgm", digit);
    fs::create_directory_symlink(root + "/a", root + "/b");
    const ImageFolder folder = load_image_folder(root);
    EXPECT_EQ(folder.class_names, (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(folder.images.images.size(), 2);

    fs::create_directory_symlink(root, root + "/a/up");
    EXPECT_EQ(load_image_folder(root).images.images.size(), 2) << "a link to the parent is a subfolder, not read";
    fs::create_symlink("dangling.png", root + "/a/gone.png");
    fs::create_symlink(fs::path("nowhere") / "x.png", root + "/a/far.png");
    EXPECT_EQ(load_image_folder(root).images.images.size(), 2) << "a link to nothing is skipped";

    fs::create_symlink("self.png", root + "/a/self.png");
    const std::string refused = refusal(root);
    EXPECT_NE(refused.find("a/self.png"), std::string::npos) << refused;
    EXPECT_NE(refused.find("symbolic links"), std::string::npos) << refused;
    try {
        image_folder_classes(root);
    } catch (...) {
        ADD_FAILURE() << "the layout alone does not read the class folders' entries";
    }
    fs::create_symlink("loop", root + "/loop");
    EXPECT_NE(refusal(root).find("/loop'"), std::string::npos) << "a loop among the class folders";
}

// Peak resident memory (VmHWM) since the last reset_peak_memory(), in MB; 0 where /proc lacks it.
double peak_memory_mb() {
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);)
        if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
    return 0;
}
void reset_peak_memory() { std::ofstream("/proc/self/clear_refs") << "5"; }

// A flat folder of 100,000 images (hard links to two 28x28 files) is listed at once and read whole in
// bounded time, holding its pixels once (313 MB as floats), not twice while they grow.
TEST(ImageFolder, AHundredThousandFilesAreReadInBoundedTimeAndMemory) {
    namespace fs = std::filesystem;
    constexpr int kFiles = 100000;
    const std::string root = test::scratch_dir() + "/many";
    fs::create_directories(root);
    // File systems allow some 65,000 links to a file: an original per 50,000.
    for (int i = 0; i < kFiles; ++i) {
        const std::string original = root + "-original" + std::to_string(i / 50000) + ".pgm";
        if (i % 50000 == 0) test::write_pgm(original, test::mnist().test.images.image(i / 50000));
        fs::create_hard_link(original, root + "/" + std::to_string(i) + ".pgm");
    }
    const auto seconds_since = [](std::chrono::steady_clock::time_point start) {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    };
    auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(image_folder_classes(root), std::vector<std::string>{"many"});
    const double listing = seconds_since(start);
    EXPECT_LT(listing, 2.0) << "the form asks for the classes as the path is typed";

    reset_peak_memory();
    const double before = peak_memory_mb();
    start = std::chrono::steady_clock::now();
    ImageFolderParams params;
    params.as_is = true;
    const ImageFolder folder = load_image_folder(root, params);
    const double reading = seconds_since(start);
    const double peak = peak_memory_mb() - before;
    ASSERT_EQ(folder.images.images.size(), kFiles);
    EXPECT_EQ(folder.files[1], "1.pgm");
    const double pixels_mb = kFiles * kImagePixels * sizeof(float) / (1024.0 * 1024.0);
    std::printf("listing %.2f s, reading %.1f s, peak +%.0f MB for %.0f MB of pixels\n", listing, reading, peak, pixels_mb);
    EXPECT_LT(reading, 300.0);
    if (before > 0) EXPECT_LT(peak, pixels_mb * 1.5) << "the pixels held once (as they grew they were held twice: +463 MB)";
    fs::remove_all(root);
}

}  // namespace
}  // namespace oddigit
