// attention_tile: the ISA-specific inner loops of paged attention, one table per SIMD level.
//
// A page of one kv head (block_size keys, f16) is widened once into an f32 tile that every
// query attending that page reuses: K transposed to [head_dim, block_size], so one vector FMA
// scores a whole vector of keys (no horizontal sums), and V as [block_size, head_dim].
// attend() folds keys [0, n) of a tile into the online-softmax state (running max m, sum of
// exponentials l, unnormalised output acc) of a token's query heads.
//
// Batch invariance: the result for one query head depends only on (q, tile, n, scale, state):
// heads are processed independently, in a fixed order of operations per level, whatever other
// heads or tokens share the call. Levels differ from each other (exp polynomial, summation
// order) within the tolerance the tests state. Pure functions; any thread.
#pragma once

#include <cstdint>

#include "kernels/cpu/simd_level.h"

namespace tts::kernels::cpu {

struct attn_tile_ops {
    // kt[head_dim, block_size] = K^T and vf[block_size, head_dim] = V, widened from f16; k, v:
    // [block_size, head_dim] (a page's slots for one kv head; unwritten slots may hold anything).
    void (*widen)(const uint16_t * k, const uint16_t * v, int32_t block_size, int32_t head_dim, float * kt,
                  float * vf);
    // For each head h < n_q: scores s_j = scale * q[h] . k_j for j < n, then
    //   m' = max(m[h], max_j s_j);  l[h] = l[h] * e^(m[h] - m') + sum_j e^(s_j - m');
    //   acc[h] = acc[h] * e^(m[h] - m') + sum_j e^(s_j - m') v_j;  m[h] = m'.
    // q: [n_q, head_dim]; m, l: [n_q]; acc: [n_q, head_dim]; scratch: >= n_q * (block_size + 1) floats.
    // REQUIRES 1 <= n <= block_size; m[h] == -inf only together with l[h] == 0, acc[h] == 0.
    void (*attend)(const float * q, int32_t n_q, const float * kt, const float * vf, int32_t block_size,
                   int32_t head_dim, int32_t n, float scale, float * m, float * l, float * acc, float * scratch);
};

// The table for the highest level <= `level` whose vectors fit the geometry (avx512 needs
// block_size and head_dim multiples of 16, avx2 of 8); scalar fits any.
const attn_tile_ops & attn_tile_ops_for(simd_level level, int32_t block_size, int32_t head_dim);

namespace detail {
const attn_tile_ops & attn_tile_ops_scalar();
const attn_tile_ops & attn_tile_ops_avx2();
const attn_tile_ops & attn_tile_ops_avx512();
}  // namespace detail

}  // namespace tts::kernels::cpu
