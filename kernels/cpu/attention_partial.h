// attention_partial: softmax attention of a few query heads over a run of paged keys, kept as
// a mergeable partial state (running max, sum of exponentials, unnormalised output).
//
// attend_pages folds a token's pages into the state one page at a time through the level's
// attn_tile_ops (widen the page, then attend); paged_attention runs the same per-page steps,
// sharing each widened page among every token that reads it. merge() combines states over
// disjoint key sets (softmax over a union of key sets equals the log-sum-exp merge of the
// partial states), for callers that split one token's keys. Pure functions on caller buffers.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/cpu/attention_tile.h"
#include "runtime/kv/kv_view.h"

namespace tts::kernels::cpu {

// State of n_q query heads; the caller owns the arrays.
struct attn_partial {
    int32_t n_q = 0;
    int32_t head_dim = 0;
    float * max = nullptr;   // [n_q] running max of scores, -inf when no key seen
    float * sum = nullptr;   // [n_q] sum of exp(score - max)
    float * acc = nullptr;   // [n_q, head_dim] sum of exp(score - max) * v
};

// Sets max = -inf, sum = 0, acc = 0.
void reset(attn_partial & st);

// Floats of scratch attend_pages needs: a widened page (K^T and V) plus the tile's own scratch.
size_t attend_scratch_floats(int32_t block_size, int32_t head_dim, int32_t n_q);

// Folds keys [0, n_keys) of the pages pages[0..ceil(n_keys / block_size)) (logical order, key
// i in page i / block_size, slot i % block_size) of kv head kvh into st. q: [n_q, head_dim].
// scratch: >= attend_scratch_floats(block_size, head_dim, n_q) floats.
void attend_pages(const attn_tile_ops & ops, const float * q, const kv::kv_view & kv, int32_t layer, int32_t kvh,
                  const int32_t * pages, int32_t n_keys, float scale, attn_partial & st, float * scratch);

// into := the state over the union of both key sets. REQUIRES same n_q, head_dim.
void merge(attn_partial & into, const attn_partial & from);

// out[n_q, head_dim] = acc / sum (zeros if no key was seen).
void finish(const attn_partial & st, float * out);

}  // namespace tts::kernels::cpu
