// rope: thread-per-pair kernel; see rope.cuh.
#include "kernels/cuda/common.cuh"
#include "kernels/cuda/math/rope_pair.h"
#include "kernels/cuda/rope.cuh"

namespace tts::kernels::cuda {

namespace {

__global__ void __launch_bounds__(k_rope_threads)
    rope_kernel(float * x, int64_t n_tok, int64_t n_heads, int head_dim, const int32_t * __restrict__ pos,
                float freq_base, bool is_neox) {
    const int half = head_dim / 2;
    const int64_t idx = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (idx >= n_tok * n_heads * half) return;
    const int i = int(idx % half);
    const int64_t th = idx / half;   // token * n_heads + head
    const int64_t t = th / n_heads;
    float cs, sn;
    math::rope_cos_sin(pos[t], i, head_dim, freq_base, cs, sn);
    float * v = x + th * head_dim;
    math::rope_rotate(v[math::rope_first(is_neox, i)], v[math::rope_second(is_neox, i, head_dim)], cs, sn);
}

}  // namespace

void rope(float * x, int64_t n_tok, int64_t n_heads, int64_t head_dim, const int32_t * pos, float freq_base,
          bool is_neox, cudaStream_t s) {
    TTS_CHECK(head_dim > 0 && head_dim % 2 == 0, "rope: head_dim %lld must be even", (long long)head_dim);
    const int64_t n = n_tok * n_heads * (head_dim / 2);
    if (n == 0) return;
    rope_kernel<<<grid_for(n, k_rope_threads), k_rope_threads, 0, s>>>(x, n_tok, n_heads, int(head_dim), pos, freq_base,
                                                                      is_neox);
    TTS_CUDA_LAUNCHED();
}

}  // namespace tts::kernels::cuda
