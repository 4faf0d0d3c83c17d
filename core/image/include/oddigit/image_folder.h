#pragma once
// A labelled image folder as a data source, laid out as torchvision's ImageFolder made
// familiar: DIR/<class name>/*.png|jpg, each subfolder a class named by its folder; or a flat
// DIR/*.png, one class named by the folder. Images go through the MNIST-style preprocessing of
// oddigit/preprocess.h (as `oddigit-cli score` reads files), or are taken as they are when
// already 28x28 in MNIST framing.
#include <string>
#include <vector>

#include "oddigit/image.h"
#include "oddigit/preprocess.h"

namespace oddigit {

// The most classes a folder (and a model) may have.
constexpr int kMaxClasses = 32;

struct ImageFolderParams {
    bool as_is = false;  // take 28x28 images unchanged (MNIST framing already), refuse any other size
    PreprocessParams preprocess;
};

struct ImageFolder {
    LabelledImages images;                 // labels index class_names
    std::vector<std::string> class_names;  // in name order
    std::vector<std::string> files;        // each image's file, relative to the folder
};

// Reads the folder. Images come in the order of their file names across the classes (the
// class's name breaks a tie), so a folder whose files are numbered keeps the numbers' order.
// Throws Error, naming the file or folder and saying why in one line, for: a missing or
// unreadable folder; images beside subfolders (a mixed layout); a class folder without
// images, or no image at all; more than kMaxClasses classes; a file that does not decode as an
// image; with as_is, an image that is not 28x28.
ImageFolder load_image_folder(const std::string& dir, const ImageFolderParams& params = {});

// The class names load_image_folder() would give, from the folder's layout alone (no image is
// read), for a form that offers them. Throws Error as load_image_folder() does for the layout.
std::vector<std::string> image_folder_classes(const std::string& dir);

}  // namespace oddigit
