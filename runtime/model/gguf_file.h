// gguf_file: a validated, memory-mapped GGUF (v2/v3) model file.
//
// open() maps the file read-only and checks everything before returning: the header, every
// metadata key and value (all GGUF value types, arrays included), every tensor info (known
// type, shape, offset aligned and inside the data section, size consistent with the shape).
// A malformed file yields a status naming the file and what is wrong; nothing reads past the
// mapping. The object owns the mapping; tensor data pointers stay valid while it lives.
// Immutable after open(): any thread may read it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "runtime/base/status.h"

namespace tts::model {

// GGUF metadata value types, numbered as in the file format.
enum class gguf_type : uint32_t {
    uint8 = 0, int8 = 1, uint16 = 2, int16 = 3, uint32 = 4, int32 = 5, float32 = 6,
    boolean = 7, string = 8, array = 9, uint64 = 10, int64 = 11, float64 = 12,
};

// One metadata value. Arrays hold their elements' type and the elements; string arrays
// (vocabularies) are kept as string_views into the mapping, numeric arrays as raw
// little-endian bytes (view) with a typed accessor.
struct gguf_value {
    gguf_type type = gguf_type::uint8;
    std::variant<uint64_t, int64_t, double, bool, std::string_view> scalar;  // by type
    gguf_type elem_type = gguf_type::uint8;    // arrays only
    std::vector<std::string_view> strings;     // arrays of strings
    const uint8_t * array_data = nullptr;      // arrays of numbers: n_elems * size of elem_type
    uint64_t n_elems = 0;                      // arrays only
};

// A tensor as described by the file. type is the ggml type id (see kernels/cpu/dtype.h).
struct gguf_tensor {
    std::string name;
    uint32_t type = 0;
    std::vector<int64_t> shape;   // ne[0] is the innermost (contiguous) dimension
    uint64_t offset = 0;          // relative to the data section
    uint64_t n_bytes = 0;
    const uint8_t * data = nullptr;
    int64_t n_elems() const;
};

class gguf_file {
public:
    static result<std::shared_ptr<gguf_file>> open(const std::string & path);
    // Same validation over bytes already in memory (tests, fuzzing); `name` is used in errors.
    static result<std::shared_ptr<gguf_file>> from_bytes(std::vector<uint8_t> bytes, const std::string & name);
    ~gguf_file();
    gguf_file(const gguf_file &) = delete;
    gguf_file & operator=(const gguf_file &) = delete;

    const std::string & path() const { return path_; }
    uint32_t version() const { return version_; }
    uint64_t alignment() const { return alignment_; }

    const std::map<std::string, gguf_value, std::less<>> & metadata() const { return kv_; }
    const gguf_value * find(std::string_view key) const;

    // Typed lookups. Missing key -> nullopt; present with an incompatible type -> status error.
    result<std::optional<int64_t>> get_int(std::string_view key) const;
    result<std::optional<double>> get_float(std::string_view key) const;
    result<std::optional<std::string>> get_string(std::string_view key) const;
    result<std::optional<bool>> get_bool(std::string_view key) const;
    // Numeric array as doubles / int64 (e.g. tokenizer.ggml.scores, token_type).
    result<std::vector<double>> get_float_array(std::string_view key) const;
    result<std::vector<int64_t>> get_int_array(std::string_view key) const;
    // String array (e.g. tokenizer.ggml.tokens); empty when missing.
    result<std::vector<std::string_view>> get_string_array(std::string_view key) const;

    const std::vector<gguf_tensor> & tensors() const { return tensors_; }
    const gguf_tensor * find_tensor(std::string_view name) const;

private:
    gguf_file() = default;
    status parse();
    std::string path_;
    const uint8_t * base_ = nullptr;   // mapping or owned bytes
    size_t size_ = 0;
    void * mapping_ = nullptr;         // non-null when mmap'd
    std::vector<uint8_t> owned_;
    uint32_t version_ = 0;
    uint64_t alignment_ = 32;
    std::map<std::string, gguf_value, std::less<>> kv_;
    std::vector<gguf_tensor> tensors_;
    std::map<std::string, size_t, std::less<>> tensor_index_;
};

}  // namespace tts::model
