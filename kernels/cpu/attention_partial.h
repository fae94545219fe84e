// attention_partial: softmax attention of a few query heads over a run of paged keys, kept as
// a mergeable partial state (running max, sum of exponentials, unnormalised output).
//
// paged_attention is attend_pages over a token's whole context followed by finish(). A later
// cascade ("prefix once") variant attends a shared prefix's pages once for many sibling
// sequences and combines each with its own suffix via merge(): softmax over a union of key
// sets equals the log-sum-exp merge of the partial states. Pure functions on caller buffers.
#pragma once

#include <cstdint>

#include "kernels/cpu/vec.h"
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

// Folds keys [0, n_keys) of the pages pages[0..ceil(n_keys / block_size)) (logical order, key
// i in page i / block_size, slot i % block_size) of kv head kvh into st. q: [n_q, head_dim].
// scratch: >= block_size * (head_dim + n_q) floats.
void attend_pages(const vec_ops & ops, const float * q, const kv::kv_view & kv, int32_t layer, int32_t kvh,
                  const int32_t * pages, int32_t n_keys, float scale, attn_partial & st, float * scratch);

// into := the state over the union of both key sets. REQUIRES same n_q, head_dim.
void merge(const vec_ops & ops, attn_partial & into, const attn_partial & from);

// out[n_q, head_dim] = acc / sum (zeros if no key was seen).
void finish(const attn_partial & st, float * out);

}  // namespace tts::kernels::cpu
