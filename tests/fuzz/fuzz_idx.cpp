// The IDX reader on any bytes, under a plain and a ".gz" name: it returns an array whose
// data matches its header, or throws Error; it never crashes, leaks or hangs.
#include <cstdlib>

#include "fuzz_input.h"
#include "oddigit/error.h"
#include "oddigit/idx.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    for (const char* name : {"input.idx", "input.idx.gz"}) {
        const std::string path = oddigit::fuzz::write_input(data, size, name);
        try {
            const oddigit::IdxArray array = oddigit::read_idx(path);
            const size_t stored = array.type == oddigit::IdxType::UInt8 ? array.u8.size() : array.f32.size();
            if (static_cast<int64_t>(stored) != array.element_count()) std::abort();
        } catch (const oddigit::Error&) {
        }
        try {
            oddigit::read_idx_images(path);
        } catch (const oddigit::Error&) {
        }
    }
    return 0;
}
