#include "oddigit/class_set.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <numeric>
#include <random>
#include <sstream>

#include "oddigit/error.h"

namespace oddigit {

ClassSet::ClassSet(int size) : size_(size) {
    if (size < 1 || size > kMostClasses)
        throw Error("a set of classes holds 1 to " + std::to_string(kMostClasses) + " classes, not " + std::to_string(size));
}

ClassSet ClassSet::all(int size) {
    ClassSet set(size);
    set.mask_ = size == kMostClasses ? ~0u : (1u << size) - 1;
    return set;
}

ClassSet ClassSet::single(int index, int size) {
    ClassSet set(size);
    set.insert(index);
    return set;
}

void ClassSet::insert(int index) {
    if (index < 0 || index >= size_)
        throw Error("no class " + std::to_string(index) + " among " + std::to_string(size_) + " classes");
    mask_ |= 1u << index;
}

bool ClassSet::is_all() const { return mask_ == all(size_).mask_; }

int ClassSet::count() const {
    int n = 0;
    for (int c = 0; c < size_; ++c) n += contains(c);
    return n;
}

ClassSet ClassSet::parse(const std::string& text, int size) {
    if (text == "all") return all(size);
    const auto bad = [&] {
        return Error("invalid classes '" + text + "': use e.g. 3, 0,2,5, 0-4 or all, each below " + std::to_string(size));
    };
    const auto index = [&](const std::string& number) {
        if (number.empty() || number.size() > 2 || !std::all_of(number.begin(), number.end(), ::isdigit)) throw bad();
        const int value = std::stoi(number);
        if (value >= size) throw bad();
        return value;
    };
    ClassSet set(size);
    std::stringstream items(text);
    std::string item;
    while (std::getline(items, item, ',')) {
        const size_t dash = item.find('-');
        const int first = index(item.substr(0, dash));
        const int last = dash == std::string::npos ? first : index(item.substr(dash + 1));
        if (last < first) throw bad();
        for (int c = first; c <= last; ++c) set.insert(c);
    }
    if (set.empty() || (!text.empty() && text.back() == ',')) throw bad();
    return set;
}

ClassSet ClassSet::parse_names(const std::string& text, const std::vector<std::string>& names) {
    if (names.empty()) return parse(text);
    if (text == "all") return all(static_cast<int>(names.size())).named(names);
    ClassSet set = ClassSet(static_cast<int>(names.size())).named(names);
    std::stringstream items(text);
    std::string item;
    while (std::getline(items, item, ',')) {
        const auto found = std::find(names.begin(), names.end(), item);
        if (found == names.end()) {
            std::string known;
            for (const std::string& name : names) known += (known.empty() ? "" : ", ") + name;
            throw Error("no class '" + item + "' here; the classes are " + known);
        }
        set.insert(static_cast<int>(found - names.begin()));
    }
    if (set.empty()) throw Error("no class named in '" + text + "'");
    return set;
}

ClassSet ClassSet::named(std::vector<std::string> names) const {
    if (!names.empty() && static_cast<int>(names.size()) != size_)
        throw Error(std::to_string(names.size()) + " names for " + std::to_string(size_) + " classes");
    ClassSet set = *this;
    set.names_ = std::move(names);
    return set;
}

ClassSet ClassSet::only(int index) const {
    ClassSet set = *this;
    set.mask_ = 0;
    set.insert(index);
    return set;
}

std::string ClassSet::name(int index) const {
    return index >= 0 && index < static_cast<int>(names_.size()) ? names_[index] : std::to_string(index);
}

bool ClassSet::names_digits() const {
    return std::all_of(names_.begin(), names_.end(), [](const std::string& name) {
        return name.size() == 1 && std::isdigit(static_cast<unsigned char>(name[0]));
    });
}

std::string ClassSet::to_string() const {
    if (is_all()) return "all";
    std::string text;
    for (int c = 0; c < size_; ++c) {
        if (!contains(c)) continue;
        if (!text.empty()) text += ',';
        text += std::to_string(c);
    }
    return text;
}

std::string ClassSet::names() const {
    if (is_all()) return "all";
    std::string text;
    for (int c = 0; c < size_; ++c)
        if (contains(c)) text += (text.empty() ? "" : ",") + name(c);
    return text;
}

ImageBatch images_of(const LabelledImages& data, const ClassSet& classes) {
    ImageBatch images;
    for (int64_t i = 0; i < data.images.size(); ++i)
        if (classes.contains(data.labels[i])) images.append(data.images.image(i));
    return images;
}

double fraction_holding_out(int64_t held_out, const LabelledImages& data, const ClassSet& normal) {
    const auto normal_images = std::count_if(data.labels.begin(), data.labels.end(),
                                             [&normal](uint8_t label) { return normal.contains(label); });
    // split_normal() rounds fraction * count to the nearest image: held_out / count gives held_out.
    return normal_images == 0 ? 0.0 : static_cast<double>(held_out) / static_cast<double>(normal_images);
}

NormalSplit split_normal(const LabelledImages& data, const ClassSet& normal, double validation_fraction,
                         uint64_t seed) {
    std::vector<int64_t> indices;
    for (int64_t i = 0; i < data.images.size(); ++i)
        if (normal.contains(data.labels[i])) indices.push_back(i);
    std::mt19937_64 random(seed);
    std::shuffle(indices.begin(), indices.end(), random);
    const auto validation_count = static_cast<size_t>(validation_fraction * indices.size() + 0.5);
    if (indices.size() < 2 || validation_count == 0 || validation_count >= indices.size())
        throw Error("too few images of classes " + normal.to_string() + " to hold out a validation set (" +
                    std::to_string(indices.size()) + " images)");
    // Sorted within each side, so the split does not depend on the shuffle's order.
    std::sort(indices.begin(), indices.begin() + validation_count);
    std::sort(indices.begin() + validation_count, indices.end());
    NormalSplit split;
    for (size_t k = 0; k < indices.size(); ++k) {
        if (k < validation_count) {
            split.validation.append(data.images.image(indices[k]));
        } else {
            split.train.images.append(data.images.image(indices[k]));
            split.train.labels.push_back(data.labels[indices[k]]);
        }
    }
    return split;
}

}  // namespace oddigit
