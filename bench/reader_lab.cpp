// oddigit-reader-lab: oddigit-cli's train with the settings of the digit-reader candidates that
// lost the rules of docs/decisions.md ("A digit reader for the shape channel, judged on real
// non-digits (0.8)", "Shipping the digit reader (0.9)"), so bench/shape-candidates.sh and
// bench/reader-candidates.sh reproduce their tables. Not installed: the product's train keeps
// --reader-epochs (and the score's --reader-weight) only.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <map>

#include "commands.h"
#include "oddigit/error.h"
#include "oddigit/runtime.h"
#include "oddigit/train.h"

namespace {

using namespace oddigit;

void add_reader_candidates(CLI::App& command, TrainParams& params) {
    ReaderParams& reader = params.reader;
    static const std::map<std::string, ReaderTerm> terms = {
        {"energy", ReaderTerm::Energy}, {"neighbours", ReaderTerm::Neighbours}, {"not-a-digit", ReaderTerm::NotADigit}};
    static const std::map<std::string, ReaderNegatives> negatives = {
        {"none", ReaderNegatives::None}, {"abnormal", ReaderNegatives::Abnormal}, {"gan-mixes", ReaderNegatives::GanMixes}};
    command.add_option("--readers", reader.count, "digit readers averaged")->check(CLI::Range(1, 16))->capture_default_str();
    command.add_option("--reader-term", reader.term, "what the readers add to the shape channel: energy, neighbours or not-a-digit")
        ->transform(CLI::CheckedTransformer(terms, CLI::ignore_case));
    command.add_option("--reader-negatives", reader.negatives,
                       "what the readers learn as not a digit: none, abnormal (noise, blur, turns) or gan-mixes")
        ->transform(CLI::CheckedTransformer(negatives, CLI::ignore_case));
    command.add_option("--reader-lr", reader.learning_rate, "the readers' learning rate (Adam)")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    command.add_option("--reader-features", reader.features, "hidden features of each reader")->capture_default_str();
    command.add_flag("--reader-contrastive", reader.contrastive, "train the readers by a supervised contrastive loss");
    command.add_flag("--reader-scanner-variation", reader.scanner_variation,
                     "the readers also learn the digits blurred or scanned coarsely");
    command.add_flag_callback(
        "--reader-bank-plain", [&reader] { reader.bank_rescans = false; },
        "the neighbours' bank holds the training images only, not also as other scanning pipelines give them");
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"oddigit-cli train with the digit-reader candidates' settings (a benchmark tool)"};
    app.require_subcommand(1);
    int threads = 0;
    cli::Commands commands;
    cli::add_train_command(app, commands, threads, add_reader_candidates);
    CLI11_PARSE(app, argc, argv);
    try {
        set_thread_count(threads);
        for (const cli::Command& command : commands)
            if (*command.app) return command.run();
    } catch (const std::exception& error) {
        std::fprintf(stderr, "oddigit-reader-lab: error: %s\n", error.what());
        return 1;
    }
    return 0;
}
