// rmsnorm: y = x / sqrt(mean(x^2) + eps) * w, one block of k_rmsnorm_threads per row.
//
// Thread tid sums squares of x[tid], x[tid + k_rmsnorm_threads], ... (math::sum_squares_strided);
// the block adds the partials in a fixed tree (block_sum); each thread then writes its own
// elements (math::rms_apply), so y may alias x. Per-row arithmetic is fixed: batch invariant.
// Also used per head (rows of head_dim) for qwen3's q/k norms. Asynchronous on stream s.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace tts::kernels::cuda {

constexpr int k_rmsnorm_threads = 128;

// x, y: device [n_rows, n_cols]; w: device [n_cols].
void rmsnorm(const float * x, const float * w, float * y, int64_t n_rows, int64_t n_cols, float eps, cudaStream_t s);

}  // namespace tts::kernels::cuda
