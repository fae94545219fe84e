// device_kv_storage: a kv_storage in device memory — the CUDA backend's KV pool.
//
// The engine's block_pool allocates its K and V arrays here (cudaMalloc), so the pool has the
// same geometry and page ids on the device as its bookkeeping on the host; copy-on-write
// copies become one strided device-to-device copy per (K|V, layer), queued on the backend's
// stream and so ordered before the next step's kernels. Engine thread only. Destroying it
// while a pool still holds memory is a TTS_CHECK (the decoder must outlive its engines).
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <unordered_map>

#include "runtime/kv/kv_storage.h"

namespace tts::model {

class device_kv_storage final : public kv::kv_storage {
public:
    explicit device_kv_storage(cudaStream_t s) : stream_(s) {}
    ~device_kv_storage() override;

    // An out-of-memory pool is a TTS_CHECK naming the size and the free device memory.
    uint16_t * allocate(size_t n_bytes) override;
    void deallocate(uint16_t * p) override;
    void copy_runs(uint16_t * dst, const uint16_t * src, size_t run_bytes, size_t n_runs, size_t pitch_bytes) override;
    bool is_host() const override { return false; }

    // True when p lies inside an allocation of this storage (forward() checks the view with it).
    bool owns(const uint16_t * p) const;
    // Bytes currently allocated (tests: 0 once every engine on the decoder is gone).
    size_t n_bytes_allocated() const { return n_bytes_; }

private:
    cudaStream_t stream_;
    std::unordered_map<const uint16_t *, size_t> sizes_;   // live allocations
    size_t n_bytes_ = 0;
};

}  // namespace tts::model
