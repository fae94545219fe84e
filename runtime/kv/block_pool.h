// block_pool: fixed-size KV pages shared by reasoning threads, with refcounts and a free list.
//
// Owns the page storage for K and for V: one allocation each from a kv_storage (host memory
// by default, a device's for the CUDA backend), laid out [n_layers, n_blocks, n_kv_heads,
// block_size, head_dim] f16 as kv_view.h describes. The storage is not zeroed (host pages are
// committed by the OS on first write). Pages are refcounted:
// try_allocate() hands out a page at refcount 1, retain() adds a holder, release() drops one
// and returns the page to the free list at zero. Holders are block_tables (one reference per
// sequence using the page) and the prefix_index (one reference per cached page).
//
// Eviction: when the free list is empty, try_allocate() asks the registered block_evictor (the
// prefix_index) to give back its least recently used page that nobody else holds. So the
// n_blocks_free() count excludes such cached pages; n_blocks_available() includes them.
//
// Not thread-safe: only the engine thread may call it. Invariant: every page is either on the
// free list with refcount 0 or off it with refcount >= 1; refcount underflow is a TTS_CHECK.
// The pool must outlive every block_table and prefix_index that refers to it; destroying it
// while a page is still held is a TTS_CHECK.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "runtime/kv/kv_layout.h"
#include "runtime/kv/kv_storage.h"

namespace tts::kv {

// A holder of pages kept only as a cache, which can give them back on demand.
class block_evictor {
public:
    // Pages this holder could give back now (held by it alone).
    virtual int32_t n_evictable() const = 0;
    // Releases up to n such pages, least recently used first; returns how many it released.
    virtual int32_t evict_lru(int32_t n) = 0;

protected:
    ~block_evictor() = default;
};

class block_pool {
public:
    // REQUIRES: layout.is_valid(), n_blocks >= 0; storage outlives the pool.
    block_pool(const kv_layout & layout, int32_t n_blocks, kv_storage & storage = host_kv_storage());
    // As many pages as fit in n_bytes (K + V, all layers).
    static block_pool from_byte_budget(const kv_layout & layout, size_t n_bytes);
    ~block_pool();
    block_pool(const block_pool &) = delete;
    block_pool & operator=(const block_pool &) = delete;

    // Returns a page with refcount 1, evicting one cached page if the free list is empty;
    // nullopt when neither is possible. Running out is normal flow, not an error.
    std::optional<block_id> try_allocate();
    // Adds a holder. REQUIRES: refcount(id) > 0.
    void retain(block_id id);
    // Drops a holder; at zero the page returns to the free list. REQUIRES: refcount(id) > 0.
    void release(block_id id);
    int32_t refcount(block_id id) const;

    // Copies slots [0, n_slots) of page src into page dst, K and V, every layer and head.
    // REQUIRES: src != dst, both held, 0 <= n_slots <= block_size.
    void copy_block(block_id src, block_id dst, int32_t n_slots);

    // Registers the cache consulted when the free list is empty (nullptr to unregister).
    void set_evictor(block_evictor * evictor) { evictor_ = evictor; }

    const kv_layout & layout() const { return layout_; }
    int32_t n_blocks_total() const { return n_blocks_; }
    int32_t n_blocks_free() const { return int32_t(free_.size()); }
    int32_t n_blocks_used() const { return n_blocks_ - n_blocks_free(); }
    int32_t n_blocks_used_peak() const { return n_blocks_used_peak_; }
    // Free pages plus cached pages the evictor could give back.
    int32_t n_blocks_available() const;
    size_t bytes_total() const { return layout_.bytes_for_blocks(n_blocks_); }
    size_t bytes_used() const { return layout_.bytes_for_blocks(n_blocks_used()); }
    size_t bytes_used_peak() const { return layout_.bytes_for_blocks(n_blocks_used_peak_); }

    // Base pointers of the storage: [n_layers, n_blocks, n_kv_heads, block_size, head_dim] f16,
    // in the memory storage().is_host() says.
    uint16_t * k_data() { return k_.get(); }
    uint16_t * v_data() { return v_.get(); }
    kv_storage & storage() const { return *storage_; }

private:
    struct free_deleter {
        kv_storage * storage;
        void operator()(uint16_t * p) const { storage->deallocate(p); }
    };
    void check_held(block_id id) const;

    kv_layout layout_;
    int32_t n_blocks_ = 0;
    kv_storage * storage_;
    std::unique_ptr<uint16_t, free_deleter> k_;   // [n_layers, n_blocks, n_kv_heads, block_size, head_dim]
    std::unique_ptr<uint16_t, free_deleter> v_;   // same layout as k_
    std::vector<int32_t> refcount_;               // [n_blocks]
    std::vector<block_id> free_;                  // stack of free pages, next to hand out at back
    int32_t n_blocks_used_peak_ = 0;
    block_evictor * evictor_ = nullptr;
};

}  // namespace tts::kv
