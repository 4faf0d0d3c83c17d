// The safetensors reader and the model loader on any bytes: a file is read whole or refused
// with Error, and a model loads only when every tensor it needs is there in the right shape.
#include "fuzz_input.h"
#include "oddigit/error.h"
#include "oddigit/model.h"
#include "oddigit/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string path = oddigit::fuzz::write_input(data, size, "input.safetensors");
    try {
        const oddigit::safetensors::File file = oddigit::safetensors::read(path);
        (void)file;
    } catch (const oddigit::Error&) {
        return 0;
    }
    try {
        const oddigit::AnomalyModel model = oddigit::AnomalyModel::load(path, oddigit::StaleCalibration::Drop);
        (void)model.info();
    } catch (const oddigit::Error&) {
    }
    return 0;
}
