#include "folder_listing.h"

#include <algorithm>

#include "oddigit/error.h"

namespace oddigit::detail {

namespace fs = std::filesystem;

const std::vector<std::string> kImageExtensions = {".png", ".jpg", ".jpeg", ".bmp", ".pgm", ".tif", ".tiff", ".webp"};

bool has_extension(const fs::path& path, const std::vector<std::string>& extensions) {
    std::string extension = path.extension().string();
    std::transform(extension.begin(), extension.end(), extension.begin(), ::tolower);
    return std::find(extensions.begin(), extensions.end(), extension) != extensions.end();
}

FolderEntries list_folder(const fs::path& dir, const std::vector<std::string>& extensions) {
    FolderEntries found;
    std::error_code error;
    for (fs::directory_iterator entries(dir, error), end; !error && entries != end; entries.increment(error)) {
        const fs::path& path = entries->path();
        if (path.filename().string().rfind('.', 0) == 0) continue;
        std::error_code status_error;
        const fs::file_status status = entries->status(status_error);
        if (status_error && status.type() != fs::file_type::not_found)
            throw Error("cannot read '" + path.string() + "': " + status_error.message());
        if (fs::is_directory(status)) found.subfolders.push_back(path);
        else if (fs::is_regular_file(status) && has_extension(path, extensions)) found.files.push_back(path);
    }
    if (error) throw Error("cannot read the folder '" + dir.string() + "': " + error.message());
    return found;
}

}  // namespace oddigit::detail
