// paged_attention: causal grouped-query attention over the paged device KV pool.
//
// One block per (token, query head), math::k_attn_warps warps. Token t (sequence tok_seq[t],
// position tok_pos[t]) attends positions 0..tok_pos[t] of its own sequence through the
// step's kv_view (same CSR block tables as the CPU backend, uploaded for the step). Warp w
// takes logical pages w, w + k_attn_warps, ...; lane l holds q elements l, l + 32, ...; per
// key, the lanes' fmaf partials are warp-summed into the score and folded into the warp's
// online-softmax state (math/online_softmax.h); the warps' states are merged in warp order.
// The order is fixed per token: batch invariant. Instantiated for head_dim 64 and 128 only
// (dispatch_head_dim). Asynchronous on stream s.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "runtime/kv/kv_view.h"

namespace tts::kernels::cuda {

// q, out: device [n_tok, n_heads, head_dim]; tok_seq, tok_pos: device [n_tok].
// REQUIRES n_heads % kv.n_kv_heads == 0; positions checked by the caller on the host.
void paged_attention(const float * q, const kv::kv_view & kv, int32_t layer, int64_t n_heads, const int32_t * tok_seq,
                     const int32_t * tok_pos, int64_t n_tok, float scale, float * out, cudaStream_t s);

}  // namespace tts::kernels::cuda
