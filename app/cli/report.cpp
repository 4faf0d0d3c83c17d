#include "report.h"

#include <cstdio>

#include "oddigit/atomic_file.h"

namespace oddigit::cli {

namespace {

std::string value_text(const Report& value) {
    if (value.is_number_float()) {
        char text[32];
        std::snprintf(text, sizeof text, "%.4f", value.get<double>());
        return text;
    }
    if (value.is_string()) return value.get<std::string>();
    if (value.is_null()) return "-";
    return value.dump();
}

void print_table(const Report& rows) {
    std::string header = "|", rule = "|";
    for (const auto& column : rows.front().items()) {
        header += " " + column.key() + " |";
        rule += "---|";
    }
    std::printf("%s\n%s\n", header.c_str(), rule.c_str());
    for (const Report& row : rows) {
        std::string line = "|";
        for (const auto& column : rows.front().items())
            line += " " + (row.contains(column.key()) ? value_text(row.at(column.key())) : std::string("-")) + " |";
        std::printf("%s\n", line.c_str());
    }
}

void print_values(const Report& report, const std::string& indent) {
    for (const auto& item : report.items()) {
        const Report& value = item.value();
        if (value.is_array() && !value.empty() && value.front().is_object()) {
            std::printf("%s%s:\n", indent.c_str(), item.key().c_str());
            print_table(value);
        } else if (value.is_array()) {
            std::string line;
            for (const Report& element : value) line += (line.empty() ? "" : ", ") + value_text(element);
            std::printf("%s%-34s %s\n", indent.c_str(), item.key().c_str(), line.c_str());
        } else if (value.is_object()) {
            std::printf("%s%s:\n", indent.c_str(), item.key().c_str());
            print_values(value, indent + "  ");
        } else {
            std::printf("%s%-34s %s\n", indent.c_str(), item.key().c_str(), value_text(value).c_str());
        }
    }
}

}  // namespace

void print_report(const Report& report) {
    print_values(report, "");
    std::fflush(stdout);
}

void save_report(const Report& report, const std::string& path) {
    if (!path.empty()) write_text_atomically(path, report.dump(2) + "\n");
}

}  // namespace oddigit::cli
