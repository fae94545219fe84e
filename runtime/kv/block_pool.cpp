#include "runtime/kv/block_pool.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "runtime/base/check.h"

namespace tts::kv {

block_pool::block_pool(const kv_layout & layout, int32_t n_blocks, kv_storage & storage)
    : layout_(layout), n_blocks_(n_blocks), storage_(&storage), k_(nullptr, free_deleter{&storage}),
      v_(nullptr, free_deleter{&storage}), refcount_(size_t(std::max(n_blocks, 0)), 0) {
    TTS_CHECK(layout.is_valid(), "invalid kv_layout");
    TTS_CHECK(n_blocks >= 0, "negative block count %d", n_blocks);
    const size_t bytes_each = std::max<size_t>(layout.bytes_for_blocks(n_blocks) / 2, 1);   // K and V are half each
    k_.reset(storage.allocate(bytes_each));
    v_.reset(storage.allocate(bytes_each));
    free_.reserve(size_t(n_blocks));
    // Pushed in reverse so pages are handed out 0, 1, 2, ... from a fresh pool.
    for (block_id id = n_blocks - 1; id >= 0; --id) free_.push_back(id);
}

block_pool block_pool::from_byte_budget(const kv_layout & layout, size_t n_bytes) {
    TTS_CHECK(layout.is_valid(), "invalid kv_layout");
    int64_t n = std::min<int64_t>(layout.blocks_in_bytes(n_bytes), INT32_MAX);
    return block_pool(layout, int32_t(n));
}

block_pool::~block_pool() {
    TTS_CHECK(n_blocks_used() == 0, "block_pool destroyed with %d pages still held", n_blocks_used());
}

std::optional<block_id> block_pool::try_allocate() {
    if (free_.empty() && evictor_ != nullptr) evictor_->evict_lru(1);
    if (free_.empty()) return std::nullopt;
    block_id id = free_.back();
    free_.pop_back();
    TTS_CHECK(refcount_[size_t(id)] == 0, "free page %d has refcount %d", id, refcount_[size_t(id)]);
    refcount_[size_t(id)] = 1;
    n_blocks_used_peak_ = std::max(n_blocks_used_peak_, n_blocks_used());
    return id;
}

void block_pool::check_held(block_id id) const {
    TTS_CHECK(id >= 0 && id < n_blocks_, "page %d out of range [0, %d)", id, n_blocks_);
    TTS_CHECK(refcount_[size_t(id)] > 0, "page %d is not held (refcount underflow)", id);
}

void block_pool::retain(block_id id) {
    check_held(id);
    ++refcount_[size_t(id)];
}

void block_pool::release(block_id id) {
    check_held(id);
    if (--refcount_[size_t(id)] == 0) free_.push_back(id);
}

int32_t block_pool::refcount(block_id id) const {
    TTS_CHECK(id >= 0 && id < n_blocks_, "page %d out of range [0, %d)", id, n_blocks_);
    return refcount_[size_t(id)];
}

int32_t block_pool::n_blocks_available() const {
    return n_blocks_free() + (evictor_ != nullptr ? evictor_->n_evictable() : 0);
}

void block_pool::copy_block(block_id src, block_id dst, int32_t n_slots) {
    check_held(src);
    check_held(dst);
    TTS_CHECK(src != dst, "copy_block onto itself (page %d)", src);
    TTS_CHECK(n_slots >= 0 && n_slots <= layout_.block_size, "n_slots %d outside [0, %d]", n_slots, layout_.block_size);
    // Within a (layer, block) run heads are [head][slot][dim]: per head, the first n_slots
    // slots are one contiguous run, and the heads' runs are head_bytes apart.
    const size_t block_elems = layout_.block_elems();
    const size_t head_bytes = size_t(layout_.block_size) * layout_.slot_elems() * layout_.elem_bytes();
    const size_t run_bytes = size_t(n_slots) * layout_.slot_elems() * layout_.elem_bytes();
    if (run_bytes == 0) return;
    for (uint16_t * base : {k_.get(), v_.get()}) {
        for (int32_t layer = 0; layer < layout_.n_layers; ++layer) {
            uint16_t * layer_base = base + size_t(layer) * size_t(n_blocks_) * block_elems;
            storage_->copy_runs(layer_base + size_t(dst) * block_elems, layer_base + size_t(src) * block_elems, run_bytes,
                                size_t(layout_.n_kv_heads), head_bytes);
        }
    }
}

}  // namespace tts::kv
