#pragma once
// Files written whole or not at all.
#include <string>
#include <vector>

namespace oddigit {

// Writes bytes to path atomically and durably: an unnamed file in its folder, fsync, a
// temporary name, rename, fsync of the folder, so after a crash or power cut path holds the
// old or the new bytes, and a process killed while writing leaves no temporary file. With
// gzip, the bytes are compressed. Throws Error when any step fails; the old file under
// path, if any, stays untouched then.
void write_file_atomically(const std::string& path, const std::vector<unsigned char>& bytes, bool gzip = false);

// The same for text (a CSV, a JSON report, a drawing).
void write_text_atomically(const std::string& path, const std::string& text);

}  // namespace oddigit
