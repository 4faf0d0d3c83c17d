#include "commands.h"

#include <cstdio>
#include <memory>
#include <string>

#include "cli_support.h"
#include "oddigit/error.h"
#include "terminal.h"
#ifdef ODDIGIT_HAVE_FETCH
#include "oddigit/fetch.h"
#endif

namespace oddigit::cli {

namespace {

struct FetchOptions {
    std::string dir;     // empty: default_mnist_dir()
    std::string mirror;  // empty: the usual public mirrors
};

int run_fetch_mnist(const FetchOptions& options) {
#ifdef ODDIGIT_HAVE_FETCH
    FetchParams params;
    params.dir = data_or_default(options.dir);
    if (!options.mirror.empty()) params.mirrors = {options.mirror};
    ProgressLine line;
    const std::string mirror = fetch_mnist(params, [&line](const FetchProgress& p) {
        char text[160];
        std::snprintf(text, sizeof text, "file %d/%d %s: %.1f of %s MB", p.file_number, p.files, p.file.c_str(),
                      p.bytes / 1e6, p.total > 0 ? std::to_string(p.total / 1000000).c_str() : "?");
        line.update(text);
        return true;
    });
    line.finish();
    if (mirror.empty())
        std::printf("MNIST: the four files in %s were already there and verified\n", params.dir.c_str());
    else
        std::printf("MNIST: fetched from %s and verified (size and SHA-256) into %s\n", mirror.c_str(), params.dir.c_str());
    return 0;
#else
    (void)options;
    throw Error("this oddigit-cli was built without ODDIGIT_FETCH; fetch MNIST with scripts/fetch-mnist.sh");
#endif
}

}  // namespace

void add_fetch_command(CLI::App& app, Commands& commands) {
    auto options = std::make_shared<FetchOptions>();
    CLI::App* command =
        app.add_subcommand("fetch-mnist", "download MNIST, verified by SHA-256, where training and evaluation look for it");
    command->add_option("--dir", options->dir, "folder for the four files (default: $ODDIGIT_DATA or ~/.local/share/oddigit/mnist)");
    command->add_option("--mirror", options->mirror, "base URL holding train-images-idx3-ubyte.gz and the three others");
    commands.push_back({command, [options] { return run_fetch_mnist(*options); }});
}

}  // namespace oddigit::cli
