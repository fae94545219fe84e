// kv_storage: the host implementation.
#include "runtime/kv/kv_storage.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "runtime/base/check.h"

namespace tts::kv {

namespace {

class host_storage final : public kv_storage {
public:
    uint16_t * allocate(size_t n_bytes) override {
        // aligned_alloc wants a size that is a multiple of the alignment, and a non-zero one.
        const size_t rounded = std::max(k_alignment, (n_bytes + k_alignment - 1) / k_alignment * k_alignment);
        void * p = std::aligned_alloc(k_alignment, rounded);
        TTS_CHECK(p != nullptr, "cannot allocate %zu bytes of KV storage", rounded);
        return static_cast<uint16_t *>(p);
    }
    void deallocate(uint16_t * p) override { std::free(p); }
    void copy_runs(uint16_t * dst, const uint16_t * src, size_t run_bytes, size_t n_runs, size_t pitch_bytes) override {
        auto * d = reinterpret_cast<uint8_t *>(dst);
        const auto * s = reinterpret_cast<const uint8_t *>(src);
        for (size_t r = 0; r < n_runs; ++r) std::memcpy(d + r * pitch_bytes, s + r * pitch_bytes, run_bytes);
    }
    bool is_host() const override { return true; }

private:
    static constexpr size_t k_alignment = 64;
};

}  // namespace

kv_storage & host_kv_storage() {
    static host_storage s;
    return s;
}

}  // namespace tts::kv
