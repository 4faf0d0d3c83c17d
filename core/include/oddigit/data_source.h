#pragma once
// Where a model's images come from: MNIST, or an image folder (oddigit/image_folder.h reads it),
// and how a model file records that (ModelInfo::data_source and test_data). Reading the images
// is the image library's (a folder) or mnist.h's (MNIST); this is only what and where.
#include <string>

namespace oddigit {

struct DataSource {
    std::string folder;  // an image folder, absolute; empty: MNIST
    bool as_is = false;  // the folder's images are 28x28 in MNIST framing already: taken unchanged

    static DataSource mnist() { return {}; }
    // The folder dir (made absolute), its images preprocessed, or taken as they are for as_is.
    static DataSource image_folder(const std::string& dir, bool as_is = false);
    // Parses record(): "" and "MNIST" give MNIST (files before 0.7 left it empty). Throws Error
    // for any other text.
    static DataSource parse(const std::string& record);

    bool is_folder() const { return !folder.empty(); }
    // "MNIST", "images DIR" or "images-as-is DIR": the model file's record, which users also read.
    std::string record() const;
    bool operator==(const DataSource& other) const { return folder == other.folder && as_is == other.as_is; }
    bool operator!=(const DataSource& other) const { return !(*this == other); }
};

}  // namespace oddigit
