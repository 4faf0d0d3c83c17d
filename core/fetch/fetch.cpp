#include "oddigit/fetch.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <zlib.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "atomic_file.h"
#include "oddigit/error.h"
#include "oddigit/mnist.h"

namespace oddigit {

namespace {

struct MnistFile {
    const char* name;
    int64_t size;
    const char* sha256;  // of the decompressed file, as LeCun published it
};
constexpr std::array<MnistFile, 4> kFiles = {{
    {"train-images-idx3-ubyte", 47040016, "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"},
    {"train-labels-idx1-ubyte", 60008, "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"},
    {"t10k-images-idx3-ubyte", 7840016, "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"},
    {"t10k-labels-idx1-ubyte", 10008, "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"},
}};
// A gzip stream may not inflate to more than this: the largest file plus a margin, so a
// hostile server cannot make us allocate without bound.
constexpr int64_t kMaxFileBytes = 48 * 1000 * 1000;
constexpr int64_t kMaxDownloadBytes = kMaxFileBytes;

using Bytes = std::vector<unsigned char>;

std::string sha256_hex(const Bytes& bytes) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (!EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr))
        throw Error("SHA-256 failed");
    std::string hex;
    char pair[3];
    for (unsigned int i = 0; i < length; ++i) {
        std::snprintf(pair, sizeof pair, "%02x", digest[i]);
        hex += pair;
    }
    return hex;
}

bool verified(const Bytes& bytes, const MnistFile& file) {
    return static_cast<int64_t>(bytes.size()) == file.size && sha256_hex(bytes) == file.sha256;
}

bool verified_on_disk(const std::string& path, const MnistFile& file) {
    std::error_code error;
    if (std::filesystem::file_size(path, error) != static_cast<uintmax_t>(file.size) || error) return false;
    std::ifstream in(path, std::ios::binary);
    const Bytes bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return verified(bytes, file);
}

// gunzip in memory; throws when the data is not gzip or inflates past the limit.
Bytes gunzip(const Bytes& compressed, const std::string& what) {
    z_stream stream{};
    if (inflateInit2(&stream, 16 + MAX_WBITS) != Z_OK) throw Error("zlib could not start");
    stream.next_in = const_cast<unsigned char*>(compressed.data());
    stream.avail_in = static_cast<uInt>(compressed.size());
    Bytes out;
    unsigned char chunk[1 << 16];
    int status = Z_OK;
    while (status != Z_STREAM_END) {
        stream.next_out = chunk;
        stream.avail_out = sizeof chunk;
        status = inflate(&stream, Z_NO_FLUSH);
        if (status != Z_OK && status != Z_STREAM_END) {
            inflateEnd(&stream);
            throw Error(what + " is not a complete gzip file");
        }
        out.insert(out.end(), chunk, chunk + (sizeof chunk - stream.avail_out));
        if (static_cast<int64_t>(out.size()) > kMaxFileBytes) {
            inflateEnd(&stream);
            throw Error(what + " inflates to more than any MNIST file");
        }
        if (status == Z_OK && stream.avail_in == 0 && stream.avail_out != 0) {
            inflateEnd(&stream);
            throw Error(what + " is a truncated gzip file");
        }
    }
    inflateEnd(&stream);
    return out;
}

struct Transfer {
    Bytes body;
    FetchProgress progress;
    const FetchCallback* callback = nullptr;
    bool cancelled = false;
    bool too_large = false;
};

size_t on_data(char* data, size_t size, size_t count, void* user) {
    auto& transfer = *static_cast<Transfer*>(user);
    const size_t length = size * count;
    if (static_cast<int64_t>(transfer.body.size() + length) > kMaxDownloadBytes) {
        transfer.too_large = true;
        return 0;  // curl stops with a write error
    }
    transfer.body.insert(transfer.body.end(), data, data + length);
    return length;
}

int on_progress(void* user, curl_off_t total, curl_off_t received, curl_off_t, curl_off_t) {
    auto& transfer = *static_cast<Transfer*>(user);
    transfer.progress.bytes = received;
    transfer.progress.total = total;
    if (*transfer.callback && !(*transfer.callback)(transfer.progress)) {
        transfer.cancelled = true;
        return 1;  // curl aborts
    }
    return 0;
}

struct CurlDeleter {
    void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};

// The body of url; throws Error with the reason.
Bytes download(const std::string& url, const FetchParams& params, Transfer& transfer) {
    std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
    if (!curl) throw Error("curl could not start");
    char message[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(curl.get(), CURLOPT_FAILONERROR, 1L);
    curl_easy_setopt(curl.get(), CURLOPT_ERRORBUFFER, message);
    curl_easy_setopt(curl.get(), CURLOPT_CONNECTTIMEOUT, params.timeout_seconds);
    curl_easy_setopt(curl.get(), CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(curl.get(), CURLOPT_LOW_SPEED_TIME, params.timeout_seconds);
    curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &transfer);
    curl_easy_setopt(curl.get(), CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(curl.get(), CURLOPT_XFERINFODATA, &transfer);
    curl_easy_setopt(curl.get(), CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl.get(), CURLOPT_USERAGENT, "oddigit");
    const CURLcode code = curl_easy_perform(curl.get());
    if (transfer.cancelled) throw Error("cancelled");
    if (transfer.too_large) throw Error(url + " is larger than any MNIST file");
    if (code != CURLE_OK) throw Error(url + ": " + (message[0] ? message : curl_easy_strerror(code)));
    return std::move(transfer.body);
}

}  // namespace

std::string fetch_mnist(const FetchParams& params, const FetchCallback& progress) {
    const std::string dir = params.dir.empty() ? default_mnist_dir() : params.dir;
    if (params.mirrors.empty()) throw Error("no mirror to fetch MNIST from");
    static const CURLcode global = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (global != CURLE_OK) throw Error("curl could not start");
    std::error_code error;
    std::filesystem::create_directories(dir, error);
    if (error) throw Error("cannot create '" + dir + "': " + error.message());

    std::string used;
    for (size_t f = 0; f < kFiles.size(); ++f) {
        const MnistFile& file = kFiles[f];
        const std::string path = dir + "/" + file.name;
        if (verified_on_disk(path, file)) continue;
        std::string reasons;
        bool done = false;
        for (const std::string& mirror : params.mirrors) {
            Transfer transfer;
            transfer.callback = &progress;
            transfer.progress.file = file.name;
            transfer.progress.file_number = static_cast<int>(f) + 1;
            transfer.progress.files = static_cast<int>(kFiles.size());
            const std::string url = mirror + "/" + file.name + ".gz";
            try {
                const Bytes bytes = gunzip(download(url, params, transfer), url);
                if (!verified(bytes, file))
                    throw Error(url + " is not the original MNIST file (size or SHA-256 differs)");
                write_file_atomically(path, bytes);
                used = mirror;
                done = true;
                break;
            } catch (const Error& failure) {
                if (transfer.cancelled) throw Error("fetching MNIST was cancelled; '" + dir + "' holds no partial file");
                reasons += std::string(reasons.empty() ? "" : "; ") + failure.what();
            }
        }
        if (!done) throw Error("could not fetch " + std::string(file.name) + ": " + reasons);
    }
    return used;
}

}  // namespace oddigit
