#pragma once
// A set of classes, such as the ones a model treats as normal, and the images of labelled data
// that belong to them: MNIST's ten digits, or an image folder's classes, each known by its index.
#include <cstdint>
#include <string>
#include <vector>

#include "oddigit/image.h"

namespace oddigit {

// A set of classes out of size (at most 32): MNIST's ten digits, or an image folder's classes,
// each known by its index; e.g. the classes a model treats as normal.
class ClassSet {
public:
    static constexpr int kMostClasses = 32;

    ClassSet() = default;  // empty, of MNIST's ten classes
    explicit ClassSet(int size);
    static ClassSet all(int size = 10);
    static ClassSet single(int index, int size = 10);
    // Parses class indices: "3", "0,2,5", "0-4,12" or "all". Throws Error on anything else or an
    // index outside the size.
    static ClassSet parse(const std::string& text, int size = 10);
    // Parses class names out of names: "all", or names joined by commas ("cat,dog"). Throws
    // Error naming a name that is not among them.
    static ClassSet parse_names(const std::string& text, const std::vector<std::string>& names);

    int size() const { return size_; }
    bool contains(int index) const { return index >= 0 && index < size_ && ((mask_ >> index) & 1u); }
    void insert(int index);
    bool empty() const { return mask_ == 0; }
    bool is_all() const;
    int count() const;
    // "all", or the indices joined by commas, e.g. "0,2,5". parse(to_string(), size()) round-trips.
    std::string to_string() const;
    // The names of the classes in the set, joined by commas, or "all"; to_string() without names.
    std::string names(const std::vector<std::string>& names) const;
    bool operator==(const ClassSet& other) const { return mask_ == other.mask_ && size_ == other.size_; }

private:
    uint32_t mask_ = 0;
    int size_ = 10;
};

// The images of data whose label is one of classes, in their order.
ImageBatch images_of(const LabelledImages& data, const ClassSet& classes);

struct NormalSplit {
    LabelledImages train;   // normal images the networks learn from, with their digits
    ImageBatch validation;  // normal images held out for the threshold and model choice
};

// Keeps the images of the normal classes and holds out validation_fraction of them,
// chosen at random with seed. Throws Error when no image is left on either side.
NormalSplit split_normal(const LabelledImages& data, const ClassSet& normal,
                         double validation_fraction, uint64_t seed);

// The validation_fraction with which split_normal() holds out exactly held_out of data's images
// of the normal classes (so a resumed run holds out what the run held out); 0 when data has none.
double fraction_holding_out(int64_t held_out, const LabelledImages& data, const ClassSet& normal);

}  // namespace oddigit
