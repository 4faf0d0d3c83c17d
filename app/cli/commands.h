#pragma once
// The subcommands of oddigit-cli, one group per file. Each group adds its subcommands and
// their options to the app; main() runs the one the command line chose. A command returns
// the process exit code and throws oddigit::Error for bad input, which main() turns into a
// one-line message.
#include <CLI/CLI.hpp>
#include <functional>
#include <vector>

namespace oddigit {
struct TrainParams;
}

namespace oddigit::cli {

struct Command {
    CLI::App* app;             // the subcommand, parsed
    std::function<int()> run;  // runs it with the options parsed into it
};
using Commands = std::vector<Command>;

// threads: where --threads goes, accepted before the subcommand and after it; main() sets
// the process's thread count from it before a command runs, and training reads it.
// More options for train, beside the product's: bench/reader_lab.cpp's candidates.
using TrainOptionsHook = std::function<void(CLI::App& train, TrainParams& params)>;
void add_train_command(CLI::App& app, Commands& commands, int& threads,   // train
                       const TrainOptionsHook& more_options = {});
void add_score_commands(CLI::App& app, Commands& commands, int& threads);    // score, eval
void add_protocol_commands(CLI::App& app, Commands& commands, int& threads); // protocol ...
// The protocols that judge a given model (localization, drawn, shape), under protocol.
void add_model_protocols(CLI::App& protocol, Commands& commands, int& threads);
void add_model_commands(CLI::App& app, Commands& commands, int& threads);    // calibrate, info
void add_fetch_command(CLI::App& app, Commands& commands);                   // fetch-mnist

}  // namespace oddigit::cli
