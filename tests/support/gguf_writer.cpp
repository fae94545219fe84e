#include "tests/support/gguf_writer.h"

#include <cstring>

namespace tts::testing {
namespace {

template <typename T>
void put(std::vector<uint8_t> & out, T v) {
    uint8_t b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));
    out.insert(out.end(), b, b + sizeof(T));
}
void put_string(std::vector<uint8_t> & out, const std::string & s) {
    put<uint64_t>(out, s.size());
    out.insert(out.end(), s.begin(), s.end());
}

}  // namespace

void gguf_writer::add_u32(const std::string & k, uint32_t v) { put_string(kv_, k); put<uint32_t>(kv_, 4); put(kv_, v); ++n_kv_; }
void gguf_writer::add_i32(const std::string & k, int32_t v) { put_string(kv_, k); put<uint32_t>(kv_, 5); put(kv_, v); ++n_kv_; }
void gguf_writer::add_f32(const std::string & k, float v) { put_string(kv_, k); put<uint32_t>(kv_, 6); put(kv_, v); ++n_kv_; }
void gguf_writer::add_bool(const std::string & k, bool v) { put_string(kv_, k); put<uint32_t>(kv_, 7); put<uint8_t>(kv_, v); ++n_kv_; }
void gguf_writer::add_string(const std::string & k, const std::string & v) { put_string(kv_, k); put<uint32_t>(kv_, 8); put_string(kv_, v); ++n_kv_; }

void gguf_writer::add_strings(const std::string & k, const std::vector<std::string> & v) {
    put_string(kv_, k);
    put<uint32_t>(kv_, 9);
    put<uint32_t>(kv_, 8);
    put<uint64_t>(kv_, v.size());
    for (auto & s : v) put_string(kv_, s);
    ++n_kv_;
}
void gguf_writer::add_f32s(const std::string & k, const std::vector<float> & v) {
    put_string(kv_, k);
    put<uint32_t>(kv_, 9);
    put<uint32_t>(kv_, 6);
    put<uint64_t>(kv_, v.size());
    for (float x : v) put(kv_, x);
    ++n_kv_;
}
void gguf_writer::add_i32s(const std::string & k, const std::vector<int32_t> & v) {
    put_string(kv_, k);
    put<uint32_t>(kv_, 9);
    put<uint32_t>(kv_, 5);
    put<uint64_t>(kv_, v.size());
    for (int32_t x : v) put(kv_, x);
    ++n_kv_;
}

void gguf_writer::add_tensor(const std::string & name, uint32_t type, std::vector<int64_t> shape, std::vector<uint8_t> data) {
    tensors_.push_back({name, type, std::move(shape), std::move(data)});
}

void gguf_writer::add_f32_tensor(const std::string & name, std::vector<int64_t> shape, const std::vector<float> & values) {
    std::vector<uint8_t> data(values.size() * 4);
    std::memcpy(data.data(), values.data(), data.size());
    add_tensor(name, 0, std::move(shape), std::move(data));
}

size_t gguf_writer::tensor_info_offset() const { return 24 + kv_.size(); }

std::vector<uint8_t> gguf_writer::bytes(uint32_t alignment) const {
    std::vector<uint8_t> out;
    put<uint32_t>(out, 0x46554747);
    put<uint32_t>(out, 3);
    put<uint64_t>(out, tensors_.size());
    put<uint64_t>(out, n_kv_);
    out.insert(out.end(), kv_.begin(), kv_.end());
    uint64_t offset = 0;
    std::vector<uint64_t> offsets;
    for (auto & t : tensors_) {
        put_string(out, t.name);
        put<uint32_t>(out, uint32_t(t.shape.size()));
        for (int64_t d : t.shape) put<uint64_t>(out, uint64_t(d));
        put<uint32_t>(out, t.type);
        put<uint64_t>(out, offset);
        offsets.push_back(offset);
        offset += (t.data.size() + alignment - 1) / alignment * alignment;
    }
    out.resize((out.size() + alignment - 1) / alignment * alignment, 0);
    const size_t base = out.size();
    for (size_t i = 0; i < tensors_.size(); ++i) {
        out.resize(base + offsets[i], 0);
        out.insert(out.end(), tensors_[i].data.begin(), tensors_[i].data.end());
    }
    out.resize((out.size() + alignment - 1) / alignment * alignment, 0);
    return out;
}

}  // namespace tts::testing
