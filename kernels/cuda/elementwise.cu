// elementwise: one-thread-per-element kernels; see elementwise.cuh.
#include "kernels/cuda/common.cuh"
#include "kernels/cuda/elementwise.cuh"
#include "kernels/cuda/math/row_math.h"

namespace tts::kernels::cuda {

namespace {

constexpr int k_threads = k_elementwise_threads;

__global__ void silu_mul_kernel(const float * gate, const float * __restrict__ up, float * out, int64_t n) {
    const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i < n) out[i] = math::silu_mul(gate[i], up[i]);
}

__global__ void add_bias_kernel(float * y, const float * __restrict__ bias, int64_t n, int64_t dim) {
    const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i < n) y[i] += bias[i % dim];
}

__global__ void add_into_kernel(float * x, const float * __restrict__ y, int64_t n) {
    const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i < n) x[i] += y[i];
}

__global__ void gather_rows_kernel(const float * __restrict__ src, const int32_t * __restrict__ rows, int64_t n,
                                   int64_t dim, float * __restrict__ dst) {
    const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i < n) dst[i] = src[int64_t(rows[i / dim]) * dim + i % dim];
}

}  // namespace

void silu_mul(const float * gate, const float * up, float * out, int64_t n, cudaStream_t s) {
    if (n == 0) return;
    silu_mul_kernel<<<grid_for(n, k_threads), k_threads, 0, s>>>(gate, up, out, n);
    TTS_CUDA_LAUNCHED();
}

void add_bias(float * y, const float * bias, int64_t n_rows, int64_t dim, cudaStream_t s) {
    if (n_rows * dim == 0) return;
    add_bias_kernel<<<grid_for(n_rows * dim, k_threads), k_threads, 0, s>>>(y, bias, n_rows * dim, dim);
    TTS_CUDA_LAUNCHED();
}

void add_into(float * x, const float * y, int64_t n, cudaStream_t s) {
    if (n == 0) return;
    add_into_kernel<<<grid_for(n, k_threads), k_threads, 0, s>>>(x, y, n);
    TTS_CUDA_LAUNCHED();
}

void gather_rows(const float * src, const int32_t * rows, int64_t n_rows, int64_t dim, float * dst, cudaStream_t s) {
    if (n_rows * dim == 0) return;
    gather_rows_kernel<<<grid_for(n_rows * dim, k_threads), k_threads, 0, s>>>(src, rows, n_rows * dim, dim, dst);
    TTS_CUDA_LAUNCHED();
}

}  // namespace tts::kernels::cuda
