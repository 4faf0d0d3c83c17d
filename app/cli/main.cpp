// oddigit-cli: training, scoring, evaluation and protocols on the command line.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "cli_support.h"
#include "commands.h"
#include "oddigit/error.h"
#include "oddigit/runtime.h"

int main(int argc, char** argv) {
    using namespace oddigit;
    CLI::App app{"Oddigit: a GAN that learns handwritten digits and points at the odd strokes."};
    app.set_version_flag("--version", std::string("oddigit-cli ") + ODDIGIT_VERSION);
    app.require_subcommand(1);
    int threads = 0;
    cli::add_threads_option(app, threads);
    cli::Commands commands;
    cli::add_train_command(app, commands, threads);
    cli::add_score_commands(app, commands, threads);
    cli::add_protocol_commands(app, commands, threads);
    cli::add_model_commands(app, commands, threads);
    cli::add_fetch_command(app, commands);

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& help) {
        return app.exit(help);
    } catch (const CLI::CallForAllHelp& help) {
        return app.exit(help);
    } catch (const CLI::CallForVersion& version) {
        return app.exit(version);
    } catch (const CLI::ParseError& error) {
        std::fprintf(stderr, "oddigit-cli: error: %s (see --help)\n", error.what());
        return 2;
    }
    try {
        set_thread_count(threads);
        for (const cli::Command& command : commands)
            if (*command.app) return command.run();
    } catch (const Error& error) {
        std::fprintf(stderr, "oddigit-cli: error: %s\n", error.what());
        return 1;
    } catch (const std::exception& error) {
        std::fprintf(stderr, "oddigit-cli: internal error: %s\n", error.what());
        return 1;
    }
    return 0;
}
