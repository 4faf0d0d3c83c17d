#pragma once
// Runs of oddigit-cli for the CLI test programs, and what they leave.
#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "oddigit/safetensors.h"
#include "test_support.h"

namespace oddigit {

struct CliRun {
    int exit_code = -1;
    std::string out;
    std::string err;
};

inline std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// Runs oddigit-cli with the arguments, and with `environment` ("NAME=value ...") before it.
inline CliRun cli(const std::string& arguments, const std::string& environment = "") {
    const std::string dir = test::scratch_dir();
    const std::string command =
        environment + " " + ODDIGIT_CLI + " " + arguments + " >" + dir + "/out 2>" + dir + "/err </dev/null";
    const int status = std::system(command.c_str());
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(dir + "/out"), slurp(dir + "/err")};
}

inline void expect_one_line_error(const CliRun& run, const std::string& fragment) {
    EXPECT_NE(run.exit_code, 0);
    EXPECT_EQ(run.err.rfind("oddigit-cli: error: ", 0), 0u) << run.err;
    EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << run.err;
    EXPECT_NE(run.err.find(fragment), std::string::npos) << run.err;
}

// Each tensor of a model file as its bytes: two models are the same when these are.
inline std::map<std::string, std::vector<unsigned char>> tensor_bytes(const std::string& path) {
    std::map<std::string, std::vector<unsigned char>> bytes;
    for (const auto& [name, tensor] : safetensors::read(path).tensors) bytes[name] = tensor.bytes;
    return bytes;
}

}  // namespace oddigit
