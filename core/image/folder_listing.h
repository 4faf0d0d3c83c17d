#pragma once
// Internal: one folder's files of some kinds and its subfolders, as the image folder loader,
// score's folder of images and the drawing folders list them.
#include <filesystem>
#include <string>
#include <vector>

namespace oddigit::detail {

// The extensions of the image files a folder is read for, in lower case.
extern const std::vector<std::string> kImageExtensions;

struct FolderEntries {
    std::vector<std::filesystem::path> files;       // in no particular order
    std::vector<std::filesystem::path> subfolders;  // in no particular order
};

// The files directly in dir whose extension (any case) is one of `extensions`, and its
// subfolders. Hidden entries (a name starting with '.') are left out. Only dir's own entries are
// read, so a link back to a parent cannot loop; a link is followed one step, a dangling one is
// skipped. Throws Error for a folder that cannot be read and, naming it, for an entry whose kind
// cannot be read (a link to itself or a loop of links).
FolderEntries list_folder(const std::filesystem::path& dir, const std::vector<std::string>& extensions);

// Whether the path's extension (any case) is one of `extensions`.
bool has_extension(const std::filesystem::path& path, const std::vector<std::string>& extensions);

}  // namespace oddigit::detail
