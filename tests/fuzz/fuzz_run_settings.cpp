// The run settings read from a resume file (the Train view's form on resume, the CLI's
// --resume) on any header: the input is a safetensors header, followed in the file by the
// tensor bytes of a tiny committed resume file (data/tiny-resume.tensors), so that the fuzzer
// spends its time on the metadata and the tensors' names, shapes and offsets. Settings are read
// whole, their epoch counts in bounds, or refused with Error.
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <vector>

#include "fuzz_input.h"
#include "oddigit/error.h"
#include "oddigit/train.h"

namespace {
std::vector<uint8_t> tensor_bytes() {
    std::ifstream file(ODDIGIT_FUZZ_DATA "/tiny-resume.tensors", std::ios::binary);
    if (!file) std::abort();
    return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const std::vector<uint8_t> tensors = tensor_bytes();
    std::vector<uint8_t> file(8);
    for (int i = 0; i < 8; ++i) file[i] = static_cast<uint8_t>(static_cast<uint64_t>(size) >> (8 * i));
    file.insert(file.end(), data, data + size);
    file.insert(file.end(), tensors.begin(), tensors.end());
    const std::string path = oddigit::fuzz::write_input(file.data(), file.size(), "input.resume.safetensors");
    try {
        const oddigit::RunSettings run = oddigit::read_run_settings(path);
        if (run.gan_epochs_done < 0 || run.encoder_epochs_done < 0 || run.params.normal_classes.empty()) std::abort();
    } catch (const oddigit::Error&) {
    }
    return 0;
}
