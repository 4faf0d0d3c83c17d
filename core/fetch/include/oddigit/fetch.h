#pragma once
// MNIST for a machine that has none: the four gzipped IDX files from a public mirror,
// each checked against the original file's size and SHA-256 before it is kept.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace oddigit {

struct FetchParams {
    std::string dir;                   // where the files go; empty: default_mnist_dir()
    // Base URLs, tried in turn; each holds train-images-idx3-ubyte.gz and the three others.
    std::vector<std::string> mirrors = {"https://ossci-datasets.s3.amazonaws.com/mnist",
                                        "https://storage.googleapis.com/cvdf-datasets/mnist"};
    long timeout_seconds = 60;         // without a byte received, a mirror is given up
};

struct FetchProgress {
    std::string file;       // e.g. "train-images-idx3-ubyte"
    int file_number = 0;    // 1-based, of files
    int files = 4;
    int64_t bytes = 0;      // received of this file
    int64_t total = 0;      // its size as the server announced it; 0 when unknown
};

// Receives progress; returns false to cancel.
using FetchCallback = std::function<bool(const FetchProgress&)>;

// Downloads the files that dir lacks (or holds damaged), decompresses each in memory, and
// writes it (as plain IDX) atomically only when its size and SHA-256 are those of the
// original MNIST file, so dir never holds a partial or unverified file. Returns the mirror
// the last downloaded file came from, or "" when every file was already there and verified.
// Throws Error naming the file and the reason when no mirror gives a verified copy (network,
// HTTP status, not gzip, wrong digest), when cancelled, or when dir cannot be written.
std::string fetch_mnist(const FetchParams& params = {}, const FetchCallback& progress = {});

}  // namespace oddigit
