// CPU kernels the decoder calls: every op the forward pass needs, f32 activations.
//
// Contract shared by all ops here:
// - Buffers are row-major and contiguous; shape comments give [outer, ..., inner].
// - Results are batch invariant: the value computed for one row (token) never depends on
//   how many other rows are in the call, on their contents, or on the thread count.
//   The engine's reproducibility guarantee rests on this.
// - Shapes are checked with TTS_CHECK (a mismatch is a bug in the caller).
// - Ops that take a thread_pool split work across its workers and return when all are done.
#pragma once

#include <cstdint>

#include "kernels/cpu/thread_pool.h"
#include "kernels/dtype.h"
#include "runtime/kv/kv_view.h"

namespace tts::kernels::cpu {

// A weight matrix as stored in the model file: n_out rows of n_in values each.
struct weight_view {
    const void * data = nullptr;
    dtype type = dtype::f32;
    int64_t n_out = 0;   // rows
    int64_t n_in = 0;    // values per row (ne[0] in GGUF)
};

// y[n_tok, n_out] = x[n_tok, n_in] * W^T.
void matmul(thread_pool & pool, const weight_view & w, const float * x, int64_t n_tok, float * y);

// out[n, n_in] = rows ids[0..n) of w, dequantised (token embeddings).
void embed_rows(const weight_view & w, const int32_t * ids, int64_t n, float * out);

// y[n_rows, n_cols] = x / rms(x) * w;  w: [n_cols]. y may alias x.
void rmsnorm(const float * x, const float * w, float * y, int64_t n_rows, int64_t n_cols, float eps);

enum class rope_mode { normal, neox };   // normal: pairs (2i, 2i+1) — llama; neox: (i, i+d/2) — qwen2/3
// Rotates x[n_tok, n_heads, head_dim] in place; token t is at position pos[t].
void rope(float * x, int64_t n_tok, int64_t n_heads, int64_t head_dim, const int32_t * pos, float freq_base,
          rope_mode mode);

// out[n] = silu(gate[n]) * up[n]. out may alias gate.
void silu_mul(const float * gate, const float * up, float * out, int64_t n);

// Stores this step's keys and values: token t of sequence tok_seq[t] at position tok_pos[t].
// k, v: [n_tok, n_kv_heads * head_dim] f32, converted to the pool's f16.
void kv_append(const kv::kv_view & kv, int32_t layer, const float * k, const float * v, const int32_t * tok_seq,
               const int32_t * tok_pos, int64_t n_tok);

// Causal grouped-query attention over the paged cache: token t (sequence tok_seq[t], position
// tok_pos[t]) attends positions 0..tok_pos[t] of its own sequence, reading only that
// sequence's pages. q: [n_tok, n_heads, head_dim]; out: same shape. n_heads % n_kv_heads == 0.
void paged_attention(thread_pool & pool, const float * q, const kv::kv_view & kv, int32_t layer, int64_t n_heads,
                     const int32_t * tok_seq, const int32_t * tok_pos, int64_t n_tok, float scale, float * out);

}  // namespace tts::kernels::cpu
