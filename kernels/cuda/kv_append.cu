// kv_append: thread-per-element scatter into pages; see kv_append.cuh.
#include "kernels/cuda/common.cuh"
#include "kernels/cuda/kv_append.cuh"
#include "kernels/cuda/math/half.h"
#include "kernels/cuda/math/kv_index.h"

namespace tts::kernels::cuda {

namespace {

__global__ void __launch_bounds__(k_kv_append_threads)
    kv_append_kernel(kv::kv_view kv, int32_t layer, const float * __restrict__ k, const float * __restrict__ v,
                     const int32_t * __restrict__ tok_seq, const int32_t * __restrict__ tok_pos, int64_t n) {
    const int64_t idx = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (idx >= n) return;
    const int64_t row = int64_t(kv.n_kv_heads) * kv.head_dim;
    const int64_t t = idx / row;
    const int32_t h = int32_t((idx % row) / kv.head_dim), i = int32_t(idx % kv.head_dim);
    const int32_t p = tok_pos[t];
    const size_t off = math::kv_offset(kv, layer, math::kv_page_of(kv, tok_seq[t], p), h, p % kv.block_size) + i;
    kv.k[off] = math::f32_to_f16(k[idx]);
    kv.v[off] = math::f32_to_f16(v[idx]);
}

}  // namespace

void kv_append(const kv::kv_view & kv, int32_t layer, const float * k, const float * v, const int32_t * tok_seq,
               const int32_t * tok_pos, int64_t n_tok, cudaStream_t s) {
    TTS_CHECK(layer >= 0 && layer < kv.n_layers, "kv_append: layer %d of %d", layer, kv.n_layers);
    const int64_t n = n_tok * kv.n_kv_heads * kv.head_dim;
    if (n == 0) return;
    kv_append_kernel<<<grid_for(n, k_kv_append_threads), k_kv_append_threads, 0, s>>>(kv, layer, k, v, tok_seq, tok_pos, n);
    TTS_CUDA_LAUNCHED();
}

}  // namespace tts::kernels::cuda
