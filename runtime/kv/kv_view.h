// kv_view: the plain struct attention kernels read to find a sequence's K/V pages.
//
// Storage is one pool of fixed-size pages for all layers, F16, laid out
//   k[layer][block][kv_head][slot][head_dim]   (same for v)
// so a (layer, block, head) run of block_size keys is contiguous. Sequences are given in CSR
// form: sequence s owns pages page_indices[page_indptr[s] .. page_indptr[s+1]) in logical
// order; token position p of s lives in page page_indices[page_indptr[s] + p / block_size],
// slot p % block_size. The view does not own anything; the CPU and CUDA kernels take the
// same struct. Built by runtime/kv for each engine step.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tts::kv {

struct kv_view {
    int32_t n_layers = 0;
    int32_t n_kv_heads = 0;
    int32_t head_dim = 0;
    int32_t block_size = 16;   // tokens per page
    int32_t n_blocks = 0;      // pages in the pool

    uint16_t * k = nullptr;    // [n_layers, n_blocks, n_kv_heads, block_size, head_dim] f16
    uint16_t * v = nullptr;    // same layout as k

    int32_t n_seqs = 0;
    const int32_t * page_indptr = nullptr;   // [n_seqs + 1]
    const int32_t * page_indices = nullptr;  // [page_indptr[n_seqs]]
    const int32_t * seq_len = nullptr;       // [n_seqs] tokens stored once this step's K/V are appended

    size_t block_elems() const { return size_t(n_kv_heads) * block_size * head_dim; }
    size_t layer_elems() const { return size_t(n_blocks) * block_elems(); }

    // Element offset of (layer, page, head, slot, 0) in k or v.
    size_t offset(int32_t layer, int32_t page, int32_t head, int32_t slot) const {
        return size_t(layer) * layer_elems() + size_t(page) * block_elems() +
               (size_t(head) * block_size + size_t(slot)) * head_dim;
    }
    // Physical page holding position pos of sequence seq.
    int32_t page_of(int32_t seq, int32_t pos) const { return page_indices[page_indptr[seq] + pos / block_size]; }
};

}  // namespace tts::kv
