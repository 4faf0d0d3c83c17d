#include "atomic_file.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>

#include "oddigit/error.h"

namespace oddigit::detail {

bool ends_with(const std::string& text, const std::string& suffix) {
    return text.size() >= suffix.size() &&
           text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

namespace {

std::string temporary_name(const std::string& path) {
    std::random_device entropy;
    return path + ".tmp-" + std::to_string(entropy() % 1000000);
}

[[noreturn]] void fail(const std::string& path, const std::string& what) {
    throw Error("cannot write '" + path + "': " + what);
}

// Flushes an open file to the disk and closes it, on every path. Throws on failure.
void sync_and_close(int fd, const std::string& path) {
    const int sync_error = ::fsync(fd) != 0 ? errno : 0;
    const int close_error = ::close(fd) != 0 ? errno : 0;
    if (sync_error) fail(path, std::strerror(sync_error));
    if (close_error) fail(path, std::strerror(close_error));
}

void write_plain(const std::string& temporary, const std::string& path,
                 const std::vector<unsigned char>& bytes) {
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) fail(path, std::strerror(errno));
    size_t written = 0;
    while (written < bytes.size()) {
        const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
        if (n < 0) {
            if (errno == EINTR) continue;
            const std::string reason = std::strerror(errno);
            ::close(fd);
            fail(path, reason);
        }
        written += static_cast<size_t>(n);
    }
    sync_and_close(fd, path);
}

void write_gzip(const std::string& temporary, const std::string& path,
                const std::vector<unsigned char>& bytes) {
    gzFile file = gzopen(temporary.c_str(), "wb6");
    if (!file) fail(path, std::strerror(errno));
    size_t written = 0;
    constexpr size_t kChunk = 1 << 20;
    while (written < bytes.size()) {
        const unsigned chunk = static_cast<unsigned>(std::min(kChunk, bytes.size() - written));
        if (gzwrite(file, bytes.data() + written, chunk) != static_cast<int>(chunk)) {
            gzclose(file);
            fail(path, "gzip write failed");
        }
        written += chunk;
    }
    if (gzclose(file) != Z_OK) fail(path, "gzip close failed");
    // zlib cannot fsync: reopen the finished file to flush it.
    const int fd = ::open(temporary.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail(path, std::strerror(errno));
    sync_and_close(fd, path);
}

// Makes a rename inside the folder survive a power cut.
void sync_folder_of(const std::string& path) {
    const std::string folder = std::filesystem::path(path).parent_path().string();
    const int fd = ::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) fail(path, "cannot open its folder to sync it: " + std::string(std::strerror(errno)));
    sync_and_close(fd, path);
}

}  // namespace

void write_file_atomically(const std::string& path, const std::vector<unsigned char>& bytes, bool gzip) {
    const std::string temporary = temporary_name(path);
    try {
        if (gzip)
            write_gzip(temporary, path, bytes);
        else
            write_plain(temporary, path, bytes);
    } catch (...) {
        std::remove(temporary.c_str());
        throw;
    }
    if (std::rename(temporary.c_str(), path.c_str()) != 0) {
        const std::string reason = std::strerror(errno);
        std::remove(temporary.c_str());
        fail(path, reason);
    }
    sync_folder_of(path);
}

}  // namespace oddigit::detail
