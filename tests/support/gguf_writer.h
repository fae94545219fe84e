// gguf_writer: builds GGUF v3 files in memory for tests (corrupt-file tests, tiny models).
//
// Add metadata and tensors, then bytes() lays them out as the format says: header, key/values,
// tensor infos, padding to the alignment, tensor data. Test-only code.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tts::testing {

class gguf_writer {
public:
    void add_u32(const std::string & key, uint32_t v);
    void add_i32(const std::string & key, int32_t v);
    void add_f32(const std::string & key, float v);
    void add_bool(const std::string & key, bool v);
    void add_string(const std::string & key, const std::string & v);
    void add_strings(const std::string & key, const std::vector<std::string> & v);
    void add_f32s(const std::string & key, const std::vector<float> & v);
    void add_i32s(const std::string & key, const std::vector<int32_t> & v);
    // shape lists the contiguous dimension first; data is the raw encoded tensor.
    void add_tensor(const std::string & name, uint32_t type, std::vector<int64_t> shape, std::vector<uint8_t> data);
    void add_f32_tensor(const std::string & name, std::vector<int64_t> shape, const std::vector<float> & values);

    std::vector<uint8_t> bytes(uint32_t alignment = 32) const;
    // Offset of the first tensor-info record in bytes() (for targeted corruption).
    size_t tensor_info_offset() const;

private:
    struct tensor {
        std::string name;
        uint32_t type;
        std::vector<int64_t> shape;
        std::vector<uint8_t> data;
    };
    std::vector<uint8_t> kv_;   // encoded key/value records
    uint64_t n_kv_ = 0;
    std::vector<tensor> tensors_;
};

}  // namespace tts::testing
