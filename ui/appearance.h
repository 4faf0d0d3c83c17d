#pragma once
// The app's colours: the desktop's own palette, or a light or dark one of the app's. Qt 6.4
// does not follow every desktop's dark mode, so View > Colours offers both, kept in the
// settings; plots and the custom widgets draw from the palette, so they follow either.
#include <QString>
#include <optional>

class QCustomPlot;

enum class ColorScheme { System, Light, Dark };

namespace appearance {

// Applies scheme to the whole application; every widget repaints in it.
void apply(ColorScheme scheme);
// The scheme applied last (System before any).
ColorScheme current();

// The scheme kept in the settings, and keeping one there.
ColorScheme saved();
void save(ColorScheme scheme);

// "system", "light" or "dark" (as on the command line); nothing for anything else.
std::optional<ColorScheme> parse(const QString& name);

// Draws the plot's background, axes, grid, legend and text items in its palette's colours,
// now and whenever the palette changes.
void followPalette(QCustomPlot* plot);

}  // namespace appearance
