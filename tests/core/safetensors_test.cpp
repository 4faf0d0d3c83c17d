#include "oddigit/safetensors.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "oddigit/error.h"
#include "oddigit/model.h"
#include "test_support.h"

namespace oddigit {
namespace {

std::vector<unsigned char> read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::string& path, const std::vector<unsigned char>& bytes) {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

ino_t inode_of(const std::string& path) {
    struct stat info {};
    EXPECT_EQ(::stat(path.c_str(), &info), 0) << path;
    return info.st_ino;
}

// A file by hand: the header text as given, then data_size zero bytes.
void write_raw(const std::string& path, const std::string& header, size_t data_size) {
    std::vector<unsigned char> bytes;
    for (int i = 0; i < 8; ++i) bytes.push_back(static_cast<unsigned char>(uint64_t{header.size()} >> (8 * i)));
    bytes.insert(bytes.end(), header.begin(), header.end());
    bytes.resize(bytes.size() + data_size, 0);
    write_bytes(path, bytes);
}

std::string read_error(const std::string& path) {
    try {
        safetensors::read(path);
    } catch (const Error& error) {
        return error.what();
    }
    return "";
}

safetensors::File sample_file() {
    safetensors::File file;
    file.metadata = {{"purpose", "test"}, {"kappa", "1.0"}};
    file.tensors["weights"] = safetensors::from_floats({1.5f, -2.0f, 3.0f, 0.25f, 5.0f, 6.0f}, {2, 3});
    safetensors::Tensor steps;
    steps.dtype = safetensors::DType::I64;
    steps.shape = {};
    steps.bytes = {42, 0, 0, 0, 0, 0, 0, 0};
    file.tensors["steps"] = steps;
    safetensors::Tensor bytes;
    bytes.dtype = safetensors::DType::U8;
    bytes.shape = {3};
    bytes.bytes = {1, 2, 255};
    file.tensors["bytes"] = bytes;
    return file;
}

TEST(Safetensors, RoundTripsTensorsAndMetadata) {
    const std::string path = test::scratch_dir() + "/a.safetensors";
    const safetensors::File written = sample_file();
    safetensors::write(path, written);
    const safetensors::File read = safetensors::read(path);
    EXPECT_EQ(read.metadata, written.metadata);
    ASSERT_EQ(read.tensors.size(), 3u);
    for (const auto& [name, tensor] : written.tensors) {
        EXPECT_EQ(read.tensors.at(name).dtype, tensor.dtype) << name;
        EXPECT_EQ(read.tensors.at(name).shape, tensor.shape) << name;
        EXPECT_EQ(read.tensors.at(name).bytes, tensor.bytes) << name;
    }
}

TEST(Safetensors, HeaderFollowsTheFormat) {
    const std::string path = test::scratch_dir() + "/a.safetensors";
    safetensors::write(path, sample_file());
    const auto bytes = read_bytes(path);
    uint64_t length = 0;
    for (int i = 0; i < 8; ++i) length |= uint64_t{bytes[i]} << (8 * i);
    EXPECT_EQ((8 + length) % 8, 0u) << "data must start 8-byte aligned";
    const auto header = nlohmann::json::parse(std::string(bytes.begin() + 8, bytes.begin() + 8 + length));
    EXPECT_EQ(header["weights"]["dtype"], "F32");
    EXPECT_EQ(header["weights"]["shape"], nlohmann::json::array({2, 3}));
    EXPECT_EQ(header["__metadata__"]["purpose"], "test");
    uint64_t covered = 0;
    for (const auto& [name, entry] : header.items())
        if (name != "__metadata__") covered += entry["data_offsets"][1].get<uint64_t>() - entry["data_offsets"][0].get<uint64_t>();
    EXPECT_EQ(8 + length + covered, bytes.size());
}

TEST(Safetensors, RejectsTruncatedFiles) {
    const std::string path = test::scratch_dir() + "/t.safetensors";
    safetensors::write(path, sample_file());
    const auto bytes = read_bytes(path);
    for (size_t keep : {size_t{0}, size_t{5}, size_t{8}, size_t{40}, bytes.size() - 1}) {
        write_bytes(path, std::vector<unsigned char>(bytes.begin(), bytes.begin() + keep));
        EXPECT_FALSE(read_error(path).empty()) << "kept " << keep << " bytes";
    }
}

TEST(Safetensors, RejectsHostileHeaders) {
    const std::string dir = test::scratch_dir();
    const auto expect_error = [&](const std::string& header, size_t data, const std::string& fragment) {
        write_raw(dir + "/h", header, data);
        const std::string error = read_error(dir + "/h");
        EXPECT_NE(error.find(fragment), std::string::npos) << header << " -> '" << error << "'";
    };
    expect_error("not json", 0, "not valid JSON");
    expect_error("[1,2]", 0, "not a JSON object");
    expect_error(R"({"a":{"dtype":"F16","shape":[1],"data_offsets":[0,2]}})", 2, "unsupported dtype");
    expect_error(R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", 4, "bad shape");
    expect_error(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}})", 4, "do not match");
    expect_error(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,400]}})", 4, "outside");
    expect_error(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}})", 4, "outside");
    expect_error(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})",
                 4, "gap or overlap");
    expect_error(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", 12, "cover");
    expect_error(R"({"a":{"dtype":"F32","shape":[65536,65536,65536],"data_offsets":[0,4]}})", 4, "too large");
    expect_error(R"({"__metadata__":{"k":1}})", 0, "not a string");
    expect_error(R"({"a":{"dtype":"F32"}})", 0, "needs dtype, shape and data_offsets");
    // A header length pointing far past the end of the file.
    write_bytes(dir + "/len", {0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, '{', '}'});
    EXPECT_NE(read_error(dir + "/len").find("header length"), std::string::npos);
}

TEST(ModelFile, RefusesForeignDamagedAndMismatchedFiles) {
    const std::string dir = test::scratch_dir();
    const auto load_error = [](const std::string& path) -> std::string {
        try {
            AnomalyModel::load(path);
        } catch (const Error& error) {
            return error.what();
        }
        return "";
    };
    // A well-formed safetensors file that is not ours.
    safetensors::write(dir + "/foreign.safetensors", sample_file());
    EXPECT_NE(load_error(dir + "/foreign.safetensors").find("not an Oddigit model"), std::string::npos);

    AnomalyModel model = AnomalyModel::create(Architecture{}, 3);
    model.info().normal_classes = ClassSet::single(3);
    model.save(dir + "/model.safetensors");
    EXPECT_EQ(load_error(dir + "/model.safetensors"), "");

    safetensors::File file = safetensors::read(dir + "/model.safetensors");
    safetensors::File missing = file;
    missing.tensors.erase("encoder.project.weight");
    safetensors::write(dir + "/missing.safetensors", missing);
    EXPECT_NE(load_error(dir + "/missing.safetensors").find("lacks the tensor 'encoder.project.weight'"), std::string::npos);

    safetensors::File reshaped = file;
    reshaped.tensors["generator.project.bias"] = safetensors::from_floats(std::vector<float>(3, 0.0f), {3});
    safetensors::write(dir + "/reshaped.safetensors", reshaped);
    EXPECT_NE(load_error(dir + "/reshaped.safetensors").find("has shape"), std::string::npos);

    safetensors::File extra = file;
    extra.tensors["encoder.spare"] = safetensors::from_floats({1.0f}, {1});
    safetensors::write(dir + "/extra.safetensors", extra);
    EXPECT_NE(load_error(dir + "/extra.safetensors").find("unexpected tensor"), std::string::npos);

    safetensors::File resume = extra;
    resume.metadata["oddigit.resume.settings"] = "{}";
    safetensors::write(dir + "/model.resume.safetensors", resume);
    EXPECT_NE(load_error(dir + "/model.resume.safetensors").find("is a training's resume file, not a model"), std::string::npos)
        << "the monkey dropped one on the window, which said 'unexpected tensor'";

    safetensors::File huge = file;
    huge.metadata["oddigit.width"] = "100000";
    safetensors::write(dir + "/huge.safetensors", huge);
    EXPECT_NE(load_error(dir + "/huge.safetensors").find("'oddigit.width' is 100000, outside [1, 512]"), std::string::npos)
        << load_error(dir + "/huge.safetensors");

    safetensors::File garbled = file;
    garbled.metadata["oddigit.stroke_threshold"] = "hot";
    safetensors::write(dir + "/garbled.safetensors", garbled);
    EXPECT_NE(load_error(dir + "/garbled.safetensors").find("not a number"), std::string::npos);

    // A calibrated model whose shape threshold is gone would never flag a shape.
    safetensors::File unflaggable = safetensors::read(test::fixture_model_path());
    unflaggable.metadata["oddigit.shape_threshold"] = "0";
    safetensors::write(dir + "/unflaggable.safetensors", unflaggable);
    EXPECT_NE(load_error(dir + "/unflaggable.safetensors").find("do not fit its score's channels"), std::string::npos)
        << load_error(dir + "/unflaggable.safetensors");

    auto bytes = read_bytes(dir + "/model.safetensors");
    bytes.resize(bytes.size() / 2);
    write_bytes(dir + "/truncated.safetensors", bytes);
    EXPECT_FALSE(load_error(dir + "/truncated.safetensors").empty());
}

// A folder's model keeps its classes' names with the set of normal ones; a count of names that
// is not the model's classes is refused.
TEST(ModelFile, KeepsTheNamesOfItsClasses) {
    const std::string dir = test::scratch_dir();
    Architecture architecture;
    architecture.classes = 3;
    AnomalyModel model = AnomalyModel::create(architecture, 3);
    model.info().normal_classes = ClassSet::parse_names("eel,cat", {"cat", "dog", "eel"});
    model.save(dir + "/named.safetensors");
    const ClassSet loaded = AnomalyModel::load(dir + "/named.safetensors").info().normal_classes;
    EXPECT_EQ(loaded, model.info().normal_classes);
    EXPECT_EQ(loaded.names(), "cat,eel");

    safetensors::File file = safetensors::read(dir + "/named.safetensors");
    EXPECT_EQ(file.metadata.at("oddigit.class_names"), R"(["cat","dog","eel"])");
    file.metadata["oddigit.class_names"] = R"(["cat","dog"])";
    safetensors::write(dir + "/misnamed.safetensors", file);
    try {
        AnomalyModel::load(dir + "/misnamed.safetensors");
        FAIL() << "two names for three classes loaded";
    } catch (const Error& error) {
        EXPECT_NE(std::string(error.what()).find("oddigit.class_names is not a list of 3 names"), std::string::npos)
            << error.what();
    }
}

// A save replaces the file with a new one instead of rewriting it in place: whoever holds
// the old file (a reader, or a crash in the middle of the save) sees it whole.
TEST(ModelFile, SaveReplacesTheFileWholeAndLeavesNoTemporaryFile) {
    const std::string dir = test::scratch_dir();
    const std::string path = dir + "/m.safetensors";
    AnomalyModel model = AnomalyModel::create(Architecture{}, 3);
    model.info().normal_classes = ClassSet::all();
    model.save(path);
    const std::vector<unsigned char> first = read_bytes(path);
    std::ifstream old_reader(path, std::ios::binary);
    const ino_t old_inode = inode_of(path);

    model.info().mnist.stroke = 0.5f;
    model.save(path);
    EXPECT_NE(inode_of(path), old_inode) << "the save rewrote the old file in place";
    const std::vector<unsigned char> seen_by_old_reader{std::istreambuf_iterator<char>(old_reader),
                                                        std::istreambuf_iterator<char>()};
    EXPECT_EQ(seen_by_old_reader, first);
    EXPECT_NE(read_bytes(path), first);
    int files = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir)) ++files;
    EXPECT_EQ(files, 1);
    // Saving into a folder that does not exist fails cleanly.
    EXPECT_THROW(model.save(dir + "/no/such/folder/m.safetensors"), Error);
}

}  // namespace
}  // namespace oddigit
