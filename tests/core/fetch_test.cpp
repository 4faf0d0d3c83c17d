#include "oddigit/fetch.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <thread>

#include "oddigit/error.h"
#include "oddigit/mnist.h"
#include "test_support.h"

namespace oddigit {
namespace {

using Bytes = std::vector<unsigned char>;
const char* const kNames[] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                              "t10k-labels-idx1-ubyte"};

// A plain HTTP/1.0 server on 127.0.0.1 that serves fixed bodies by path, one request per
// connection, in its own thread.
class LoopbackServer {
public:
    explicit LoopbackServer(std::map<std::string, Bytes> files) : files_(std::move(files)) {
        listener_ = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof address;
        if (listener_ < 0 || bind(listener_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
            listen(listener_, 8) != 0 || getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0)
            throw std::runtime_error("the loopback server could not start");
        port_ = ntohs(address.sin_port);
        thread_ = std::thread([this] { serve(); });
    }
    ~LoopbackServer() {
        stop_ = true;
        thread_.join();
        close(listener_);
    }
    std::string url(const std::string& folder) const {
        return "http://127.0.0.1:" + std::to_string(port_) + "/" + folder;
    }
    int requests() const { return requests_; }

private:
    void serve() {
        while (!stop_) {
            fd_set ready;
            FD_ZERO(&ready);
            FD_SET(listener_, &ready);
            timeval wait{0, 50000};
            if (select(listener_ + 1, &ready, nullptr, nullptr, &wait) <= 0) continue;
            const int connection = accept(listener_, nullptr, nullptr);
            if (connection < 0) continue;
            answer(connection);
            close(connection);
        }
    }

    void answer(int connection) {
        std::string request;
        char buffer[4096];
        while (request.find("\r\n\r\n") == std::string::npos) {
            const ssize_t got = recv(connection, buffer, sizeof buffer, 0);
            if (got <= 0) return;
            request.append(buffer, static_cast<size_t>(got));
        }
        ++requests_;
        const size_t begin = request.find(' ') + 1;
        const std::string path = request.substr(begin, request.find(' ', begin) - begin);
        const auto found = files_.find(path);
        const std::string head = found == files_.end()
                                     ? "HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n"
                                     : "HTTP/1.0 200 OK\r\nContent-Length: " + std::to_string(found->second.size()) +
                                           "\r\nContent-Type: application/gzip\r\n\r\n";
        send_all(connection, head.data(), head.size());
        if (found != files_.end()) send_all(connection, found->second.data(), found->second.size());
    }

    static void send_all(int connection, const void* data, size_t size) {
        const char* bytes = static_cast<const char*>(data);
        while (size > 0) {
            const ssize_t sent = send(connection, bytes, size, MSG_NOSIGNAL);
            if (sent <= 0) return;  // the client hung up (a cancelled download)
            bytes += sent;
            size -= static_cast<size_t>(sent);
        }
    }

    std::map<std::string, Bytes> files_;
    int listener_ = -1;
    int port_ = 0;
    std::thread thread_;
    std::atomic<bool> stop_{false};
    std::atomic<int> requests_{0};
};

Bytes gzip(const Bytes& plain) {
    z_stream stream{};
    deflateInit2(&stream, 1, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
    Bytes out(deflateBound(&stream, plain.size()));
    stream.next_in = const_cast<unsigned char*>(plain.data());
    stream.avail_in = static_cast<uInt>(plain.size());
    stream.next_out = out.data();
    stream.avail_out = static_cast<uInt>(out.size());
    deflate(&stream, Z_FINISH);
    out.resize(stream.total_out);
    deflateEnd(&stream);
    return out;
}

Bytes original(const std::string& name) {
    test::mnist();  // fails the test with a hint when MNIST is missing
    std::ifstream in(default_mnist_dir() + "/" + name, std::ios::binary);
    return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Two copies: /good/ holds the original files gzipped; /bad/ the same with one label changed.
std::map<std::string, Bytes> mirror_files() {
    std::map<std::string, Bytes> files;
    for (const char* name : kNames) {
        Bytes plain = original(name);
        files["/good/" + std::string(name) + ".gz"] = gzip(plain);
        if (std::string(name) == "train-labels-idx1-ubyte") plain[100] = static_cast<unsigned char>((plain[100] + 1) % 10);
        files["/bad/" + std::string(name) + ".gz"] = gzip(plain);
    }
    return files;
}

const LoopbackServer& server() {
    static const LoopbackServer instance(mirror_files());
    return instance;
}

// The message of the Error fetch_mnist throws; "" when it succeeds.
std::string fetch_error(const FetchParams& params) {
    try {
        fetch_mnist(params);
    } catch (const Error& error) {
        return error.what();
    }
    return "";
}

std::vector<std::string> entries(const std::string& dir) {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

TEST(FetchMnist, FetchesVerifiesAndKeepsWhatIsThere) {
    FetchParams params;
    params.dir = test::scratch_dir() + "/mnist";
    params.mirrors = {server().url("good")};
    int reports = 0;
    EXPECT_EQ(fetch_mnist(params, [&](const FetchProgress& p) { return ++reports, p.file_number >= 1; }), params.mirrors[0]);
    EXPECT_GT(reports, 0);
    const MnistSet fetched = load_mnist(params.dir);
    EXPECT_EQ(fetched.train.labels, test::mnist().train.labels);
    EXPECT_EQ(fetched.test.images.pixels, test::mnist().test.images.pixels);
    // Everything verified is kept: a second run downloads nothing.
    const int requests = server().requests();
    EXPECT_EQ(fetch_mnist(params), "");
    EXPECT_EQ(server().requests(), requests);
}

TEST(FetchMnist, RefusesACorruptedCopyAndLeavesNoFileOfIt) {
    FetchParams params;
    params.dir = test::scratch_dir() + "/mnist";
    params.mirrors = {server().url("bad")};
    const std::string corrupted = fetch_error(params);
    EXPECT_NE(corrupted.find("train-labels-idx1-ubyte"), std::string::npos) << corrupted;
    EXPECT_NE(corrupted.find("SHA-256"), std::string::npos) << corrupted;
    // The image file before it was good and is kept; nothing else, not even a temporary file.
    EXPECT_EQ(entries(params.dir), std::vector<std::string>{"train-images-idx3-ubyte"});
    // With a good mirror after the bad one, the good copy of the labels is taken.
    params.mirrors = {server().url("bad"), server().url("good")};
    EXPECT_FALSE(fetch_mnist(params).empty());
    EXPECT_EQ(load_mnist(params.dir).train.labels, test::mnist().train.labels);
}

TEST(FetchMnist, CancelsAndReportsMissingMirrors) {
    FetchParams params;
    params.dir = test::scratch_dir() + "/mnist";
    params.mirrors = {server().url("good")};
    EXPECT_THROW(fetch_mnist(params, [](const FetchProgress& p) { return p.bytes < 1000000; }), Error);
    EXPECT_TRUE(entries(params.dir).empty());

    params.mirrors = {server().url("nowhere")};
    const std::string missing = fetch_error(params);
    EXPECT_NE(missing.find("404"), std::string::npos) << missing;
    EXPECT_TRUE(entries(params.dir).empty());
}

}  // namespace
}  // namespace oddigit
