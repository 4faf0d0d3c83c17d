// Durable atomic saves, seen from the system calls: the test binary links with
// -Wl,--wrap=fsync, so every fsync the engine makes comes through here and can fail on demand.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "oddigit/error.h"
#include "oddigit/idx.h"
#include "oddigit/safetensors.h"
#include "test_support.h"

namespace {
std::atomic<int> injected_errno{0};  // fsync fails with this errno when non-zero
std::atomic<int> file_syncs{0};
std::atomic<int> folder_syncs{0};
// When set, a file's fsync writes a byte to this pipe and then waits to be killed.
std::atomic<int> stall_file_syncs_on{-1};
}  // namespace

extern "C" int __real_fsync(int fd);
extern "C" int __wrap_fsync(int fd) {
    struct stat info {};
    if (fstat(fd, &info) == 0) (S_ISDIR(info.st_mode) ? folder_syncs : file_syncs)++;
    if (const int pipe = stall_file_syncs_on.load(); pipe >= 0 && !S_ISDIR(info.st_mode)) {
        const char mark = 'x';
        if (write(pipe, &mark, 1) == 1)
            for (;;) pause();
    }
    if (const int error = injected_errno.load()) {
        errno = error;
        return -1;
    }
    return __real_fsync(fd);
}

namespace oddigit {
namespace {

int open_descriptors() {
    int count = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) ++count;
    return count;
}

std::string contents(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

safetensors::File small_file(float value) {
    safetensors::File file;
    file.tensors["x"] = safetensors::from_floats({value, value}, {2});
    return file;
}

IdxArray small_array(uint8_t value) {
    IdxArray array;
    array.type = IdxType::UInt8;
    array.dims = {4};
    array.u8.assign(4, value);
    return array;
}

struct Syncs {
    Syncs() { file_syncs = folder_syncs = 0; }
    ~Syncs() { injected_errno = 0; }
};

TEST(AtomicFile, ASaveSyncsTheFileAndThenItsFolder) {
    const std::string dir = test::scratch_dir();
    for (const std::string name : {"m.safetensors", "a.idx", "a.idx.gz"}) {
        Syncs syncs;
        if (name == "m.safetensors")
            safetensors::write(dir + "/" + name, small_file(1));
        else
            write_idx(dir + "/" + name, small_array(1));
        EXPECT_EQ(file_syncs, 1) << name;
        EXPECT_EQ(folder_syncs, 1) << name << ": the rename is not durable until the folder is synced";
    }
}

TEST(AtomicFile, AFailedSyncKeepsTheOldFileAndLeaksNoDescriptor) {
    const std::string dir = test::scratch_dir();
    for (const std::string name : {"m.safetensors", "a.idx", "a.idx.gz"}) {
        const std::string path = dir + "/" + name;
        const auto save = [&](int version) {
            if (name == "m.safetensors")
                safetensors::write(path, small_file(static_cast<float>(version)));
            else
                write_idx(path, small_array(static_cast<uint8_t>(version)));
        };
        save(1);
        const std::string old = contents(path);
        const int descriptors = open_descriptors();
        Syncs syncs;
        injected_errno = EIO;
        try {
            save(2);
            ADD_FAILURE() << name << ": a save whose fsync failed reported success";
        } catch (const Error& error) {
            EXPECT_NE(std::string(error.what()).find(std::strerror(EIO)), std::string::npos) << error.what();
        }
        injected_errno = 0;
        EXPECT_EQ(contents(path), old) << name;
        EXPECT_EQ(open_descriptors(), descriptors) << name;
    }
    int files = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir)) ++files;
    EXPECT_EQ(files, 3) << "a temporary file was left behind";
}

// A process killed in the middle of a save (here: while its data is being flushed) leaves
// the folder as it found it: the file is written without a name until it is complete.
TEST(AtomicFile, AWriterKilledWhileSavingLeavesNoTemporaryFile) {
    const std::string dir = test::scratch_dir();
    int pipe_ends[2];
    ASSERT_EQ(pipe(pipe_ends), 0);
    const pid_t writer = fork();
    if (writer == 0) {
        stall_file_syncs_on = pipe_ends[1];
        safetensors::write(dir + "/m.safetensors", small_file(1));
        _exit(0);
    }
    char mark = 0;
    ASSERT_EQ(read(pipe_ends[0], &mark, 1), 1) << "the writer never flushed its file";
    kill(writer, SIGKILL);
    waitpid(writer, nullptr, 0);
    close(pipe_ends[0]);
    close(pipe_ends[1]);
    for (const auto& entry : std::filesystem::directory_iterator(dir)) ADD_FAILURE() << "left behind: " << entry.path();
}

}  // namespace
}  // namespace oddigit
