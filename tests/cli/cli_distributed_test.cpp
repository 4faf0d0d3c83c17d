// Data-parallel training over processes, through the real oddigit-cli binary: two processes on
// the loopback take the step one process takes, two ranks end with one model, and the runs
// that cannot start are refused with the reason.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "cli_run.h"
#include "oddigit/distributed.h"
#include "oddigit/safetensors.h"
#include "test_support.h"

namespace oddigit {
namespace {
// A TCP port on the loopback that nothing listens on now, for a distributed run's master.
int free_loopback_port() {
    const int socket_fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (bind(socket_fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        getsockname(socket_fd, reinterpret_cast<sockaddr*>(&address), &length) != 0)
        ADD_FAILURE() << "no free loopback port: " << std::strerror(errno);
    close(socket_fd);
    return ntohs(address.sin_port);
}

// For each float tensor of the model at path: the fraction of its elements that differ by
// more than tolerance from the other model's.
std::map<std::string, double> share_differing(const std::string& path, const std::string& other_path, float tolerance) {
    const safetensors::File file = safetensors::read(path), other = safetensors::read(other_path);
    std::map<std::string, double> shares;
    for (const auto& [name, tensor] : file.tensors) {
        if (tensor.dtype != safetensors::DType::F32) continue;
        const std::vector<float> a = safetensors::to_floats(tensor), b = safetensors::to_floats(other.tensors.at(name));
        int64_t differing = 0;
        for (size_t i = 0; i < a.size(); ++i) differing += std::abs(a[i] - b[i]) > tolerance;
        shares[name] = static_cast<double>(differing) / a.size();
    }
    return shares;
}

// Runs `oddigit-cli train` with the settings as two ranks on the loopback, one thread each,
// each given DIR/model.safetensors unless told otherwise (rank 1 writes DIR/model.rank1.safetensors). Rank 0 is told its place by flags,
// rank 1 by torchrun's variables.
std::pair<CliRun, CliRun> train_two_ranks(const std::string& settings, const std::string& dir,
                                          const std::string& rank0_out = "model.safetensors",
                                          const std::string& rank1_out = "model.safetensors") {
    const int port = free_loopback_port();
    CliRun rank0, rank1;
    std::thread first([&] {
        rank0 = cli(settings + " --world-size 2 --rank 0 --master 127.0.0.1:" + std::to_string(port) + " --out " + dir +
                    "/" + rank0_out);
    });
    rank1 = cli(settings + " --out " + dir + "/" + rank1_out,
                "WORLD_SIZE=2 RANK=1 MASTER_ADDR=127.0.0.1 MASTER_PORT=" + std::to_string(port));
    first.join();
    return {rank0, rank1};
}

// One GAN step and one encoder step of a batch of 64, by one process and by two ranks of 32
// images each: the same weights, but where Adam's first step (the sign of the gradient,
// times the learning rate) meets a gradient that is zero but for rounding. The floats of the
// ranks' sums are added in another order, so the sign of such a gradient is a coin toss.
// That is the case for the biases just before a BatchNorm, which cancels them, for a few of
// E's weights (0.7 % with seed 1) and for a rare one of G (1 of 200,704 with seed 5); every
// other weight agrees to 1e-5 (seeds 1-7, OpenBLAS kernels Haswell and SkylakeX).
TEST(Cli, TwoProcessesOnTheLoopbackTakeTheStepOneProcessTakes) {
    if (!distributed_available()) GTEST_SKIP() << "built without Gloo's headers";
    const std::string dir = test::scratch_dir();
    const std::string settings = "train --normal 1 --limit 64 --epochs 1 --encoder-epochs 1 --threads 1 --seed " +
                                 std::to_string(test::training_seed(1));
    const CliRun alone = cli(settings + " --out " + dir + "/alone.safetensors");
    ASSERT_EQ(alone.exit_code, 0) << alone.err;
    const auto [rank0, rank1] = train_two_ranks(settings, dir);
    ASSERT_EQ(rank0.exit_code, 0) << rank0.err;
    ASSERT_EQ(rank1.exit_code, 0) << rank1.err;

    const std::set<std::string> cancelled_by_batch_norm = {"generator.project.bias", "generator.up14.bias",
                                                           "encoder.down7.bias"};
    for (const auto& [name, share] : share_differing(dir + "/alone.safetensors", dir + "/model.safetensors", 1e-5f)) {
        // The feature density is D's features' covariance: of rank 63 with 64 images, so all but
        // 63 of its directions are any orthonormal basis of the rest, a coin toss like the above.
        if (cancelled_by_batch_norm.count(name) || name.rfind("calibration.", 0) == 0 || name.rfind("density.", 0) == 0)
            continue;
        EXPECT_LT(share, name.rfind("encoder.", 0) == 0 ? 0.02 : 0.001) << name;
    }
    // The losses reported are the whole batch's, as alone; a rank's half, or the sum of the
    // halves' means, would be off by a factor of two.
    const auto losses = [](const std::string& out) { return out.substr(out.find("GAN epoch 1/1: D "), 60); };
    EXPECT_EQ(losses(rank0.out), losses(alone.out)) << rank0.out;
}

// Two ranks keep identical weights over a longer run and write the same bytes, model and
// resume file; the resume file remembers the world size it was written with, and both ranks
// resume from it.
TEST(Cli, TwoRanksEndWithTheSameModel) {
    if (!distributed_available()) GTEST_SKIP() << "built without Gloo's headers";
    const std::string dir = test::scratch_dir();
    const std::string run = "train --normal 7 --limit 1024 --epochs 2 --threads 1 --seed " + std::to_string(test::training_seed(1));
    const auto [rank0, rank1] = train_two_ranks(run + " --encoder-epochs 1", dir);
    ASSERT_EQ(rank0.exit_code, 0) << rank0.err;
    ASSERT_EQ(rank1.exit_code, 0) << rank1.err;
    EXPECT_NE(rank0.out.find("rank 0 of 2"), std::string::npos) << rank0.out;
    EXPECT_NE(rank1.out.find("rank 1 of 2"), std::string::npos) << rank1.out;
    EXPECT_NE(rank0.out.find("with the other ranks"), std::string::npos) << rank0.out;
    // Given one --out, as under torchrun, rank 1 writes its copy beside rank 0's.
    EXPECT_EQ(slurp(dir + "/model.safetensors"), slurp(dir + "/model.rank1.safetensors"));
    EXPECT_EQ(slurp(dir + "/model.resume.safetensors"), slurp(dir + "/model.rank1.resume.safetensors"));
    // Resumed with the same world size, the ranks go on together; alone, the run is refused.
    expect_one_line_error(cli(run + " --resume --encoder-epochs 2 --out " + dir + "/model.safetensors"), "other settings");
    const auto [resumed0, resumed1] = train_two_ranks(run + " --resume --encoder-epochs 2", dir);
    ASSERT_EQ(resumed0.exit_code, 0) << resumed0.err;
    ASSERT_EQ(resumed1.exit_code, 0) << resumed1.err;
    EXPECT_NE(resumed0.out.find("encoder epoch 2/2"), std::string::npos) << resumed0.out;
    EXPECT_EQ(resumed0.out.find("GAN epoch"), std::string::npos) << resumed0.out;
    EXPECT_EQ(slurp(dir + "/model.safetensors"), slurp(dir + "/model.rank1.safetensors"));
}

// Two ranks on one machine must not write one file at once: where rank 0's --out is the file
// rank 1 would write its copy to (however spelt), both refuse the run before training.
TEST(Cli, TwoRanksAreRefusedOneOutputFile) {
    if (!distributed_available()) GTEST_SKIP() << "built without Gloo's headers";
    const std::string dir = test::scratch_dir();
    const auto [rank0, rank1] =
        train_two_ranks("train --normal 7 --limit 256 --epochs 1 --encoder-epochs 1 --threads 1", dir,
                        "shared.rank1.safetensors",
                        "../" + std::filesystem::path(dir).filename().string() + "/shared.safetensors");
    expect_one_line_error(rank0, "would both write");
    expect_one_line_error(rank1, "would both write");
    EXPECT_FALSE(std::filesystem::exists(dir + "/shared.rank1.safetensors"));
    EXPECT_FALSE(std::filesystem::exists(dir + "/shared.rank1.resume.safetensors"));
}

TEST(Cli, RefusesADistributedRunItCannotStart) {
    const std::string out = " --out " + test::scratch_dir() + "/m.safetensors";
    if (!distributed_available()) {
        expect_one_line_error(cli("train --normal 1 --world-size 2" + out), "libgloo-dev");
        return;
    }
    expect_one_line_error(cli("train --normal 1 --world-size 2 --rank 2" + out), "rank 2 is not one of 0..1");
    expect_one_line_error(cli("train --normal 1 --world-size 2 --master nowhere" + out), "HOST:PORT");
    expect_one_line_error(cli("train --normal 1" + out, "WORLD_SIZE=two"), "$WORLD_SIZE");
    expect_one_line_error(cli("train --normal 1 --world-size 3 --batch-size 64" + out), "equal shares");
    expect_one_line_error(cli("train --normal 1 --world-size 2 --rank 1 --resume"), "--resume needs --out");
}

}  // namespace
}  // namespace oddigit
