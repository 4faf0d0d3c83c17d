#pragma once
// Terminal output for long work: a self-overwriting progress line when stderr is a
// terminal, nothing otherwise (logs stay clean).
#include <chrono>
#include <string>

namespace oddigit::cli {

class ProgressLine {
public:
    ProgressLine();
    ~ProgressLine();
    // Shows text, at most ten times a second.
    void update(const std::string& text);
    // Ends the line so normal output can follow.
    void finish();

private:
    bool enabled_ = false;
    bool shown_ = false;
    std::chrono::steady_clock::time_point last_{};
};

}  // namespace oddigit::cli
