// kv_storage: where a block_pool's K/V pages live — host memory (the default) or a device's.
//
// The pool does all the bookkeeping (refcounts, free list, copy-on-write decisions) on the
// host whatever the storage; it asks the storage only to allocate its two arrays, free them,
// and copy runs of page slots (copy_block, at a fork's first write). A backend whose kernels
// read K/V elsewhere (the CUDA backend: device memory) supplies its own storage through the
// decoder; the engine hands it to its kv_cache. Implementations are used by the engine thread
// only and must outlive every pool built on them.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tts::kv {

class kv_storage {
public:
    virtual ~kv_storage() = default;

    // n_bytes (> 0) of page storage; never null (failure is a TTS_CHECK: sizing is the caller's).
    virtual uint16_t * allocate(size_t n_bytes) = 0;
    // Frees what allocate returned.
    virtual void deallocate(uint16_t * p) = 0;
    // For r in [0, n_runs): copies run_bytes from src + r * pitch_bytes to dst + r * pitch_bytes
    // (byte offsets). Ordered before any later kernel reading dst.
    virtual void copy_runs(uint16_t * dst, const uint16_t * src, size_t run_bytes, size_t n_runs,
                           size_t pitch_bytes) = 0;
    // True when the CPU can read the storage directly (host memory).
    virtual bool is_host() const = 0;
};

// The default: 64-byte-aligned host memory, memcpy copies. One process-wide instance.
kv_storage & host_kv_storage();

}  // namespace tts::kv
