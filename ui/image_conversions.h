#pragma once
// Between the engine's float images and Qt's QImage.
#include <QImage>
#include <QPixmap>
#include <QStringList>

#include "oddigit/image.h"
#include "oddigit/preprocess.h"

class QCPColorGradient;

namespace image_conversions {

// A 28x28 image in [0, 1] as 8-bit grayscale, white ink on black like MNIST.
QImage toQImage(const float* pixels);
QImage toQImage(const oddigit::Image28& image);
// The same scaled up by zoom, for thumbnails (the Explore view's gallery, previews and details).
QPixmap thumbnail(const float* pixels, int zoom);

// Heat as colour: fullScale and above get the gradient's end colour at full opacity,
// zero is transparent, so a cold picture adds nothing to what it is drawn over.
QImage heatImage(const oddigit::Image28& heat, double fullScale, QCPColorGradient gradient);

// The heat colormaps the app offers, by name, the default first: Viridis, perceptually even
// and readable with the common colour-vision deficiencies (its yellow stands out on the
// strokes as well as Hot's glow does), then Hot, Thermal, Jet and Grayscale.
QStringList colormapNames();
// The colormap the user chose last (kept in the settings; the default when none or an
// unknown one), for the canvas overlay and every heatmap the app shows.
QString chosenColormapName();
QCPColorGradient chosenColormap();
void chooseColormap(const QString& name);

// A transparent image composited over black, for previews of heatImage().
QImage overBlack(const QImage& image);

// Any QImage as the engine's 8-bit grayscale.
oddigit::GrayImage toGray(const QImage& image);

// Images side by side in a grid, each scaled up by zoom, for sample sheets.
QImage grid(const oddigit::ImageBatch& images, int columns, int zoom);

}  // namespace image_conversions
