#include "oddigit/image_folder.h"

#include <algorithm>
#include <filesystem>
#include <tuple>

#include "folder_listing.h"
#include "oddigit/error.h"

namespace oddigit {

namespace fs = std::filesystem;

namespace {

Image28 read_image(const fs::path& path, const ImageFolderParams& params) {
    const GrayImage gray = load_gray_image(path.string());
    if (!params.as_is) return to_mnist(gray, params.preprocess);
    if (gray.width != kImageSide || gray.height != kImageSide)
        throw Error("'" + path.string() + "' is " + std::to_string(gray.width) + "x" + std::to_string(gray.height) +
                    ", not 28x28: --as-is takes images already in MNIST framing");
    Image28 image{};
    // White ink on black, as MNIST: taken as it is.
    for (int i = 0; i < kImagePixels; ++i) image[i] = gray.pixels[i] / 255.0f;
    return image;
}

// A folder's layout: its class folders in name order, or its own images for a flat folder.
struct FolderLayout {
    std::vector<fs::path> classes;
    std::vector<std::string> class_names;
    std::vector<fs::path> flat;
};

FolderLayout layout_of(const std::string& dir) {
    std::error_code error;
    if (!fs::is_directory(dir, error)) throw Error("'" + dir + "' is not a folder of images");
    FolderLayout layout;
    detail::FolderEntries entries = detail::list_folder(dir, detail::kImageExtensions);
    layout.flat = std::move(entries.files);
    layout.classes = std::move(entries.subfolders);
    if (!layout.flat.empty() && !layout.classes.empty())
        throw Error("'" + dir + "' holds images beside subfolders; put each class's images in a subfolder of its own, "
                    "or all of one class's in the folder itself");
    if (layout.classes.empty()) {
        std::string name = fs::path(dir).lexically_normal().filename().string();
        if (name.empty()) name = fs::absolute(dir).parent_path().filename().string();
        layout.class_names = {name};
        return layout;
    }
    std::sort(layout.classes.begin(), layout.classes.end());
    if (static_cast<int>(layout.classes.size()) > kMaxClasses)
        throw Error("'" + dir + "' has " + std::to_string(layout.classes.size()) + " class folders; a model takes at most " +
                    std::to_string(kMaxClasses));
    for (const fs::path& folder : layout.classes) layout.class_names.push_back(folder.filename().string());
    return layout;
}

}  // namespace

std::vector<std::string> image_folder_classes(const std::string& dir) { return layout_of(dir).class_names; }

ImageFolder load_image_folder(const std::string& dir, const ImageFolderParams& params) {
    const FolderLayout layout = layout_of(dir);
    // (file name, class, path) for every image.
    std::vector<std::tuple<std::string, int, fs::path>> found;
    for (const fs::path& path : layout.flat) found.emplace_back(path.filename().string(), 0, path);
    for (size_t c = 0; c < layout.classes.size(); ++c) {
        const std::vector<fs::path> images = detail::list_folder(layout.classes[c], detail::kImageExtensions).files;
        if (images.empty()) throw Error("the class folder '" + layout.classes[c].string() + "' holds no image");
        for (const fs::path& path : images) found.emplace_back(path.filename().string(), static_cast<int>(c), path);
    }
    if (found.empty()) throw Error("'" + dir + "' holds no image (PNG, JPEG, ...)");
    std::sort(found.begin(), found.end());
    ImageFolder folder;
    folder.class_names = layout.class_names;
    // Sized once: a large folder's pixels are never held twice while the vector grows.
    folder.images.images.pixels.reserve(found.size() * kImagePixels);
    folder.images.labels.reserve(found.size());
    folder.files.reserve(found.size());
    for (const auto& [name, label, path] : found) {
        const Image28 image = read_image(path, params);
        folder.images.images.append(image.data());
        folder.images.labels.push_back(static_cast<uint8_t>(label));
        folder.files.push_back(fs::relative(path, dir).string());
    }
    return folder;
}

}  // namespace oddigit
