#pragma once
// Between the engine's float images and Qt's QImage.
#include <QImage>

#include "oddigit/image.h"
#include "oddigit/preprocess.h"

class QCPColorGradient;

namespace image_conversions {

// A 28x28 image in [0, 1] as 8-bit grayscale, white ink on black like MNIST.
QImage toQImage(const float* pixels);
QImage toQImage(const oddigit::Image28& image);

// Heat as colour: fullScale and above get the gradient's end colour at full opacity,
// zero is transparent, so a cold picture adds nothing to what it is drawn over.
QImage heatImage(const oddigit::Image28& heat, double fullScale, QCPColorGradient gradient);

// A transparent image composited over black, for previews of heatImage().
QImage overBlack(const QImage& image);

// Any QImage as the engine's 8-bit grayscale.
oddigit::GrayImage toGray(const QImage& image);

// Images side by side in a grid, each scaled up by zoom, for sample sheets.
QImage grid(const oddigit::ImageBatch& images, int columns, int zoom);

}  // namespace image_conversions
