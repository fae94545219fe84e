// elementwise: the small per-element steps of the forward pass — SwiGLU gate, bias add,
// residual add, and gathering the rows that want logits. One thread per element; asynchronous
// on stream s. All pointers are device pointers.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace tts::kernels::cuda {

constexpr int k_elementwise_threads = 256;

// out[n] = silu(gate[n]) * up[n] (math::silu_mul). out may alias gate.
void silu_mul(const float * gate, const float * up, float * out, int64_t n, cudaStream_t s);
// y[n_rows, dim] += bias[dim].
void add_bias(float * y, const float * bias, int64_t n_rows, int64_t dim, cudaStream_t s);
// x[n] += y[n].
void add_into(float * x, const float * y, int64_t n, cudaStream_t s);
// dst[n_rows, dim] = src rows rows[0..n_rows) (src: [*, dim]).
void gather_rows(const float * src, const int32_t * rows, int64_t n_rows, int64_t dim, float * dst, cudaStream_t s);

}  // namespace tts::kernels::cuda
