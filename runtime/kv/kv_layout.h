// kv_layout: the geometry of one KV page (block) and the byte arithmetic built on it.
//
// A page holds block_size consecutive token positions of one sequence, for every layer and
// every KV head, for both K and V. Storage is laid out as kv_view.h describes:
//   k[layer][block][kv_head][slot][head_dim]   (same for v), dtype f16.
// Pure value type: no state beyond its fields, any thread may use it.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tts::kv {

// Index of a physical page in the pool, as kv_view::page_indices stores it.
using block_id = int32_t;

enum class kv_dtype { f16 };

struct kv_layout {
    int32_t n_layers = 0;
    int32_t n_kv_heads = 0;
    int32_t head_dim = 0;
    int32_t block_size = 16;   // tokens per page
    kv_dtype dtype = kv_dtype::f16;

    bool is_valid() const { return n_layers > 0 && n_kv_heads > 0 && head_dim > 0 && block_size > 0; }

    static constexpr size_t bytes_per_elem(kv_dtype) { return 2; }
    size_t elem_bytes() const { return bytes_per_elem(dtype); }

    // Elements of one (layer, block) run of K (or of V): [n_kv_heads, block_size, head_dim].
    size_t block_elems() const { return size_t(n_kv_heads) * size_t(block_size) * size_t(head_dim); }
    // Elements of one token slot of one head: head_dim.
    size_t slot_elems() const { return size_t(head_dim); }

    // Bytes one page costs: K and V, all layers.
    size_t bytes_per_block() const { return 2 * size_t(n_layers) * block_elems() * elem_bytes(); }
    // Bytes n pages cost.
    size_t bytes_for_blocks(int64_t n_blocks) const { return size_t(n_blocks) * bytes_per_block(); }
    // Pages that fit in a byte budget (rounded down). REQUIRES: is_valid().
    int64_t blocks_in_bytes(size_t n_bytes) const { return int64_t(n_bytes / bytes_per_block()); }
    // Pages needed to hold n_tokens positions.
    int64_t blocks_for_tokens(int64_t n_tokens) const { return (n_tokens + block_size - 1) / block_size; }
};

}  // namespace tts::kv
