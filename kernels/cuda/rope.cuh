// rope: rotary position embedding in place, one thread per (token, head, pair).
//
// Angles in double, cos/sin rounded to float, float rotation (math/rope_pair.h), as the CPU
// backend computes them. is_neox selects the pairing: (i, i + d/2) for qwen2/3, (2i, 2i + 1)
// for llama. Asynchronous on stream s.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace tts::kernels::cuda {

constexpr int k_rope_threads = 256;

// x: device [n_tok, n_heads, head_dim]; pos: device [n_tok]. REQUIRES head_dim even.
void rope(float * x, int64_t n_tok, int64_t n_heads, int64_t head_dim, const int32_t * pos, float freq_base,
          bool is_neox, cudaStream_t s);

}  // namespace tts::kernels::cuda
