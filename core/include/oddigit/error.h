#pragma once
// The one exception type the engine throws. Its message is a complete sentence for
// the user ("cannot read 'x.idx': truncated: expected 784 bytes of data, found 12").
#include <stdexcept>
#include <string>

namespace oddigit {

class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

}  // namespace oddigit
