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

// gzip's container around deflate (zlib's windowBits 15, plus 16 for the gzip header).
constexpr int kGzipWindowBits = 15 + 16;
constexpr int kGzipLevel = 6;

std::string temporary_name(const std::string& path) {
    std::random_device entropy;
    return path + ".tmp-" + std::to_string(entropy() % 1000000);
}

[[noreturn]] void fail(const std::string& path, const std::string& what) {
    throw Error("cannot write '" + path + "': " + what);
}

std::vector<unsigned char> gzip_compress(const std::vector<unsigned char>& bytes, const std::string& path) {
    z_stream stream{};
    if (deflateInit2(&stream, kGzipLevel, Z_DEFLATED, kGzipWindowBits, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        fail(path, "gzip cannot start");
    std::vector<unsigned char> compressed(deflateBound(&stream, static_cast<uLong>(bytes.size())));
    stream.next_in = const_cast<unsigned char*>(bytes.data());
    stream.avail_in = static_cast<uInt>(bytes.size());
    stream.next_out = compressed.data();
    stream.avail_out = static_cast<uInt>(compressed.size());
    const int result = deflate(&stream, Z_FINISH);
    compressed.resize(stream.total_out);
    deflateEnd(&stream);
    if (result != Z_STREAM_END) fail(path, "gzip compression failed");
    return compressed;
}

// Flushes an open file to the disk and closes it, on every path. Throws on failure.
void sync_and_close(int fd, const std::string& path) {
    const int sync_error = ::fsync(fd) != 0 ? errno : 0;
    const int close_error = ::close(fd) != 0 ? errno : 0;
    if (sync_error) fail(path, std::strerror(sync_error));
    if (close_error) fail(path, std::strerror(close_error));
}

// Writes all of bytes to fd and flushes them to the disk; closes fd on failure.
void write_and_sync(int fd, const std::vector<unsigned char>& bytes, const std::string& path) {
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
    if (::fsync(fd) != 0) {
        const std::string reason = std::strerror(errno);
        ::close(fd);
        fail(path, reason);
    }
}

// Gives the finished file a name beside path, and returns it. The file is written without
// a name first (O_TMPFILE), so a process killed while writing leaves nothing behind; only
// where the file system lacks unnamed files is it written under the name from the start.
std::string write_named_temporary(const std::string& path, const std::vector<unsigned char>& bytes) {
    const std::string temporary = temporary_name(path);
    const std::string folder = std::filesystem::path(path).parent_path().string();
    const int unnamed = ::open(folder.empty() ? "." : folder.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
    if (unnamed >= 0) {
        write_and_sync(unnamed, bytes, path);
        const std::string self = "/proc/self/fd/" + std::to_string(unnamed);
        const int link_error = ::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, temporary.c_str(), AT_SYMLINK_FOLLOW) != 0 ? errno : 0;
        const int close_error = ::close(unnamed) != 0 ? errno : 0;
        if (link_error || close_error) {
            std::remove(temporary.c_str());
            fail(path, std::strerror(link_error ? link_error : close_error));
        }
        return temporary;
    }
    if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL) fail(path, std::strerror(errno));
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) fail(path, std::strerror(errno));
    try {
        write_and_sync(fd, bytes, path);
    } catch (...) {
        std::remove(temporary.c_str());
        throw;
    }
    if (::close(fd) != 0) {
        const std::string reason = std::strerror(errno);
        std::remove(temporary.c_str());
        fail(path, reason);
    }
    return temporary;
}

// Makes a rename inside the folder survive a power cut.
void sync_folder_of(const std::string& path) {
    const std::string folder = std::filesystem::path(path).parent_path().string();
    const int fd = ::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) fail(path, "cannot open its folder to sync it: " + std::string(std::strerror(errno)));
    sync_and_close(fd, path);
}

}  // namespace
}  // namespace oddigit::detail

namespace oddigit {

using detail::fail;

void write_file_atomically(const std::string& path, const std::vector<unsigned char>& bytes, bool gzip) {
    const std::string temporary = detail::write_named_temporary(path, gzip ? detail::gzip_compress(bytes, path) : bytes);
    if (std::rename(temporary.c_str(), path.c_str()) != 0) {
        const std::string reason = std::strerror(errno);
        std::remove(temporary.c_str());
        fail(path, reason);
    }
    detail::sync_folder_of(path);
}

void write_text_atomically(const std::string& path, const std::string& text) {
    write_file_atomically(path, std::vector<unsigned char>(text.begin(), text.end()));
}

}  // namespace oddigit
