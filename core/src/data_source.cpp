#include "oddigit/data_source.h"

#include <filesystem>

#include "oddigit/error.h"

namespace oddigit {

namespace {
constexpr const char* kMnist = "MNIST";
constexpr const char* kImages = "images ";
constexpr const char* kImagesAsIs = "images-as-is ";
}  // namespace

DataSource DataSource::image_folder(const std::string& dir, bool as_is) {
    if (dir.empty()) throw Error("an image folder needs a path");
    return {std::filesystem::absolute(dir).lexically_normal().string(), as_is};
}

DataSource DataSource::parse(const std::string& record) {
    if (record.empty() || record == kMnist) return mnist();
    for (const std::string prefix : {kImagesAsIs, kImages})
        if (record.size() > prefix.size() && record.compare(0, prefix.size(), prefix) == 0)
            return {record.substr(prefix.size()), prefix == kImagesAsIs};
    throw Error("'" + record + "' names no data source: MNIST, 'images DIR' or 'images-as-is DIR'");
}

std::string DataSource::record() const {
    if (!is_folder()) return kMnist;
    return (as_is ? kImagesAsIs : kImages) + folder;
}

}  // namespace oddigit
