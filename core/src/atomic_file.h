#pragma once
#include <string>

#include "oddigit/atomic_file.h"

namespace oddigit::detail {

bool ends_with(const std::string& text, const std::string& suffix);

}  // namespace oddigit::detail
