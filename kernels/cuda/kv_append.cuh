// kv_append: writes this step's K/V rows into their page slots of the device pool, f32 -> f16
// (math::f32_to_f16, round to nearest even: the bits the CPU backend writes).
//
// kv is the step's kv_view with device pointers: k/v into the device pool, and page_indptr /
// page_indices / seq_len uploaded for this step (same CSR as on the host). One thread per
// (token, kv head, element). Asynchronous on stream s.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "runtime/kv/kv_view.h"

namespace tts::kernels::cuda {

constexpr int k_kv_append_threads = 256;

// k, v: device [n_tok, n_kv_heads * head_dim]; tok_seq, tok_pos: device [n_tok]. The caller
// has checked (on the host) that every (seq, pos) has a page.
void kv_append(const kv::kv_view & kv, int32_t layer, const float * k, const float * v, const int32_t * tok_seq,
               const int32_t * tok_pos, int64_t n_tok, cudaStream_t s);

}  // namespace tts::kernels::cuda
