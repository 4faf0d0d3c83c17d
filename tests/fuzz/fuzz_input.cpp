#include "fuzz_input.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

namespace oddigit::fuzz {

namespace {
struct Folder {
    std::string path;
    Folder() {
        // Under /dev/shm when there is one: the readers' file I/O stays in memory.
        const std::string base = std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : "/tmp";
        std::string pattern = base + "/oddigit-fuzz-XXXXXX";
        path = ::mkdtemp(pattern.data());
    }
    ~Folder() {
        std::error_code ignored;
        std::filesystem::remove_all(path, ignored);
    }
};
}  // namespace

const std::string& folder() {
    static const Folder made;
    return made.path;
}

std::string write_input(const uint8_t* data, size_t size, const std::string& name) {
    const std::string path = folder() + "/" + name;
    FILE* file = std::fopen(path.c_str(), "wb");
    if (!file) std::abort();
    if (size > 0 && std::fwrite(data, 1, size, file) != size) std::abort();
    std::fclose(file);
    return path;
}

}  // namespace oddigit::fuzz
