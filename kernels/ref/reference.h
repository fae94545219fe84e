// reference: deliberately naive scalar versions of every CPU op, for tests only (STYLE R7/R9).
//
// Each function computes the same result as its tts::kernels::cpu namesake in the most obvious
// way: quantised weights are dequantised to f32 with byte-offset arithmetic written from the
// GGUF layouts (independently of kernels/cpu/blocks.h), sums are in double, softmax is the
// two-pass textbook form. Speed is irrelevant; readability and independence are the point.
#pragma once

#include <cstdint>

#include "kernels/cpu/ops.h"

namespace tts::kernels::ref {

// IEEE half <-> float written with frexp/ldexp, round-to-nearest-even.
float f16_to_f32(uint16_t h);
uint16_t f32_to_f16(float f);

// out[n] = the first n values of a row of type t. REQUIRES n % block_elems(t) == 0.
void dequantize_row(dtype t, const void * row, float * out, int64_t n);

void matmul(const cpu::weight_view & w, const float * x, int64_t n_tok, float * y);
void embed_rows(const cpu::weight_view & w, const int32_t * ids, int64_t n, float * out);
void rmsnorm(const float * x, const float * w, float * y, int64_t n_rows, int64_t n_cols, float eps);
void rope(float * x, int64_t n_tok, int64_t n_heads, int64_t head_dim, const int32_t * pos, float freq_base,
          cpu::rope_mode mode);
void silu_mul(const float * gate, const float * up, float * out, int64_t n);
void kv_append(const kv::kv_view & kv, int32_t layer, const float * k, const float * v, const int32_t * tok_seq,
               const int32_t * tok_pos, int64_t n_tok);
void paged_attention(const float * q, const kv::kv_view & kv, int32_t layer, int64_t n_heads,
                     const int32_t * tok_seq, const int32_t * tok_pos, int64_t n_tok, float scale, float * out);

}  // namespace tts::kernels::ref
