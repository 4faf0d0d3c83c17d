// The drawing file reader (File > Open, oddigit-cli score --strokes) on any bytes, and what
// follows a file it accepts: the drawing rendered and put through the MNIST preprocessing as
// the model sees it. A drawing is read whole or refused with Error; its input lies in [0, 1].
#include <cmath>
#include <cstdlib>

#include "fuzz_input.h"
#include "oddigit/drawing.h"
#include "oddigit/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string path = oddigit::fuzz::write_input(data, size, "input.json");
    oddigit::Drawing drawing;
    try {
        drawing = oddigit::read_drawing(path);
    } catch (const oddigit::Error&) {
        return 0;
    }
    for (const oddigit::PenStroke& stroke : drawing.strokes) {
        if (!(std::isfinite(stroke.width) && stroke.width > 0)) std::abort();
        for (const auto& point : stroke.points)
            if (!std::isfinite(point[0]) || !std::isfinite(point[1])) std::abort();
    }
    try {
        const oddigit::Image28 input = oddigit::drawing_input(drawing);
        for (float pixel : input)
            if (!(pixel >= 0.0f && pixel <= 1.0f)) std::abort();
    } catch (const oddigit::Error&) {
    }
    return 0;
}
