#pragma once
// A set of classes, such as the ones a model treats as normal, and the images of labelled data
// that belong to them: MNIST's ten digits, or an image folder's classes, each known by its index.
#include <cstdint>
#include <string>
#include <vector>

#include "oddigit/image.h"

namespace oddigit {

// A set of classes out of size (at most 32): MNIST's ten digits, or an image folder's classes,
// each known by its index and named by the set; e.g. the classes a model treats as normal.
class ClassSet {
public:
    static constexpr int kMostClasses = 32;

    ClassSet() = default;  // empty, of MNIST's ten digits
    // Empty, of size classes named by their index ("0", "1", ...), as MNIST's digits are.
    explicit ClassSet(int size);
    static ClassSet all(int size = 10);
    static ClassSet single(int index, int size = 10);
    // Parses class indices: "3", "0,2,5", "0-4,12" or "all". Throws Error on anything else or an
    // index outside the size.
    static ClassSet parse(const std::string& text, int size = 10);
    // Parses text, "all" or class names joined by commas ("cat,dog"), against names (an image
    // folder's classes, in order); the set carries names. Without names the classes are MNIST's
    // digits and text is parsed as parse() does. Throws Error naming a name not among names.
    static ClassSet parse_names(const std::string& text, const std::vector<std::string>& names);

    // This set, its classes named names (one per class; none: by index). Throws Error for
    // another count.
    ClassSet named(std::vector<std::string> names) const;
    // The set of the same classes that holds index alone. Throws Error for an index outside them.
    ClassSet only(int index) const;

    int size() const { return size_; }
    bool contains(int index) const { return index >= 0 && index < size_ && ((mask_ >> index) & 1u); }
    void insert(int index);
    bool empty() const { return mask_ == 0; }
    bool is_all() const;
    int count() const;
    // Every class's name in index order; empty where they are named by index (MNIST's digits).
    const std::vector<std::string>& class_names() const { return names_; }
    // Class index's name: its name, or the index as text.
    std::string name(int index) const;
    // Whether the classes are digits: named by index (MNIST's), or each by one digit.
    bool names_digits() const;
    // "all", or the indices joined by commas, e.g. "0,2,5". parse(to_string(), size()) round-trips.
    std::string to_string() const;
    // "all", or the names of the classes in the set joined by commas, e.g. "cat,dog".
    std::string names() const;
    bool operator==(const ClassSet& other) const {
        return mask_ == other.mask_ && size_ == other.size_ && names_ == other.names_;
    }
    bool operator!=(const ClassSet& other) const { return !(*this == other); }

private:
    uint32_t mask_ = 0;
    int size_ = 10;
    std::vector<std::string> names_;
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
