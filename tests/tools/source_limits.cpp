// The product's size limits, as a test: no source file (.cpp, .h) under the folders given is
// over kMaxFileLines lines, and no function over kMaxFunctionLines (from the line its
// signature starts on to its closing brace). Prints each one over, and exits 1 if any is.
// Usage: oddigit_source_limits FOLDER...
//
// Functions are found by their braces, comments and literals skipped: a brace block at file,
// namespace or class scope whose head ends in ")" (after const, override, noexcept, a trailing
// return type or a constructor's initializers) is a function body; blocks inside one count
// towards it.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace {

constexpr int kMaxFileLines = 450;
constexpr int kMaxFunctionLines = 80;

// The file's text with comments, string and character literals blanked (line breaks kept).
std::string code_of(const std::string& text) {
    std::string code = text;
    enum { Code, LineComment, BlockComment, String, Char, Raw } state = Code;
    std::string raw_end;
    for (size_t i = 0; i < code.size(); ++i) {
        const char c = text[i], next = i + 1 < text.size() ? text[i + 1] : '\0';
        switch (state) {
            case Code:
                if (c == '/' && next == '/') state = LineComment;
                else if (c == '/' && next == '*') state = BlockComment;
                else if (c == 'R' && next == '"' && (i == 0 || !std::isalnum(static_cast<unsigned char>(text[i - 1])))) {
                    const size_t open = text.find('(', i);
                    raw_end = ")" + text.substr(i + 2, open - i - 2) + "\"";
                    state = Raw;
                    continue;
                } else if (c == '"') state = String;
                else if (c == '\'' && !(i > 0 && std::isxdigit(static_cast<unsigned char>(text[i - 1])))) state = Char;
                else continue;
                break;
            case LineComment:
                if (c == '\n') state = Code;
                break;
            case BlockComment:
                if (c == '*' && next == '/') {
                    code[i] = code[i + 1] = ' ';
                    ++i;
                    state = Code;
                    continue;
                }
                break;
            case String:
            case Char:
                if (c == '\\') {
                    code[i] = ' ';
                    if (next != '\n') code[++i] = ' ';
                    continue;
                }
                if ((state == String && c == '"') || (state == Char && c == '\'')) {
                    state = Code;
                    continue;
                }
                break;
            case Raw:
                if (text.compare(i, raw_end.size(), raw_end) == 0) {
                    i += raw_end.size() - 1;
                    state = Code;
                    continue;
                }
                break;
        }
        if (c != '\n') code[i] = ' ';
    }
    return code;
}

bool ends_with_word(const std::string& text, const std::string& word) {
    if (text.size() < word.size() || text.compare(text.size() - word.size(), word.size(), word) != 0) return false;
    return text.size() == word.size() || !std::isalnum(static_cast<unsigned char>(text[text.size() - word.size() - 1]));
}

// Whether a block's head (the code since the last ';', '{' or '}') opens a function body.
bool opens_function(std::string head) {
    while (!head.empty() && std::isspace(static_cast<unsigned char>(head.back()))) head.pop_back();
    const size_t first = head.find_first_not_of(" \t\n");
    if (first == std::string::npos) return false;
    head = head.substr(first);
    for (const char* scope : {"namespace", "class ", "struct ", "enum ", "union ", "extern "})
        if (head.rfind(scope, 0) == 0 || head.find(std::string(" ") + scope) != std::string::npos) return false;
    if (head.find('=') != std::string::npos && head.find('(') == std::string::npos) return false;
    for (const char* qualifier : {"const", "override", "final", "noexcept", "mutable"})
        while (ends_with_word(head, qualifier)) {
            head.resize(head.size() - std::string(qualifier).size());
            while (!head.empty() && std::isspace(static_cast<unsigned char>(head.back()))) head.pop_back();
        }
    if (!head.empty() && head.back() == ')') return true;
    return head.find("->") != std::string::npos && head.find(')') != std::string::npos;  // a trailing return type
}

int check(const std::filesystem::path& path) {
    std::ifstream file(path);
    const std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    const std::string code = code_of(text);
    int problems = 0;
    const int lines = static_cast<int>(std::count(text.begin(), text.end(), '\n'));
    if (lines > kMaxFileLines) {
        std::printf("%s: %d lines (at most %d)\n", path.c_str(), lines, kMaxFileLines);
        ++problems;
    }
    int line = 1, depth = 0, function_depth = -1, function_start = 0;
    size_t head_start = 0;
    int head_line = 1;
    for (size_t i = 0; i < code.size(); ++i) {
        const char c = code[i];
        if (c == '\n') ++line;
        if (c != '{' && c != '}' && c != ';') continue;
        if (c == '{' && function_depth < 0 && opens_function(code.substr(head_start, i - head_start))) {
            function_depth = depth;
            function_start = head_line;
        }
        if (c == '{') ++depth;
        if (c == '}') --depth;
        if (c == '}' && depth == function_depth) {
            const int length = line - function_start + 1;
            if (length > kMaxFunctionLines) {
                std::printf("%s:%d: a function of %d lines (at most %d)\n", path.c_str(), function_start, length,
                            kMaxFunctionLines);
                ++problems;
            }
            function_depth = -1;
        }
        head_start = i + 1;
        // The next head starts on the first line with code after this character.
        head_line = line;
        for (size_t j = i + 1; j < code.size() && std::isspace(static_cast<unsigned char>(code[j])); ++j)
            if (code[j] == '\n') ++head_line;
    }
    return problems;
}

}  // namespace

int main(int argc, char** argv) {
    int problems = 0, files = 0;
    for (int a = 1; a < argc; ++a)
        for (const auto& entry : std::filesystem::recursive_directory_iterator(argv[a])) {
            const std::string extension = entry.path().extension().string();
            if (!entry.is_regular_file() || (extension != ".cpp" && extension != ".h")) continue;
            problems += check(entry.path());
            ++files;
        }
    std::printf("%d source files checked: %d over the limits\n", files, problems);
    return files > 0 && problems == 0 ? 0 : 1;
}
