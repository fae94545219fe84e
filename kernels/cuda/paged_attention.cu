// paged_attention: block per (token, head), warps over pages, online softmax; see
// paged_attention.cuh.
#include "kernels/cuda/common.cuh"
#include "kernels/cuda/math/half.h"
#include "kernels/cuda/math/kv_index.h"
#include "kernels/cuda/math/online_softmax.h"
#include "kernels/cuda/paged_attention.cuh"

namespace tts::kernels::cuda {

namespace {

constexpr int k_warps = math::k_attn_warps;

template <int D>
__global__ void __launch_bounds__(32 * k_warps)
    attention_kernel(const float * __restrict__ q, kv::kv_view kv, int32_t layer, int32_t n_heads,
                     const int32_t * __restrict__ tok_seq, const int32_t * __restrict__ tok_pos, float scale,
                     float * __restrict__ out) {
    constexpr int V = D / 32;   // elements per lane: lane l holds l, l + 32, ...
    __shared__ float s_max[k_warps], s_sum[k_warps], s_acc[k_warps][D];
    const int t = int(blockIdx.x), h = int(blockIdx.y);
    const int warp = int(threadIdx.x) / 32, lane = int(threadIdx.x) % 32;
    const int32_t kvh = h / (n_heads / kv.n_kv_heads);
    const int32_t n_ctx = tok_pos[t] + 1, bs = kv.block_size;
    const int32_t * pages = kv.page_indices + kv.page_indptr[tok_seq[t]];

    float qv[V], acc[V];
    const float * qh = q + (int64_t(t) * n_heads + h) * D;
    for (int e = 0; e < V; ++e) {
        qv[e] = qh[lane + 32 * e];
        acc[e] = 0.0f;
    }
    math::softmax_state st;
    const int32_t n_pages = (n_ctx + bs - 1) / bs;
    for (int32_t p = warp; p < n_pages; p += k_warps) {
        const size_t base = math::kv_offset(kv, layer, pages[p], kvh, 0);
        const int32_t n = min(bs, n_ctx - p * bs);
        for (int32_t j = 0; j < n; ++j) {
            const uint16_t * kr = kv.k + base + size_t(j) * D;
            const uint16_t * vr = kv.v + base + size_t(j) * D;
            float part = 0.0f;
            for (int e = 0; e < V; ++e) part = fmaf(qv[e], math::f16_to_f32(kr[lane + 32 * e]), part);
            float alpha, pw;
            math::softmax_push(st, warp_sum(part) * scale, alpha, pw);
            for (int e = 0; e < V; ++e) acc[e] = acc[e] * alpha + pw * math::f16_to_f32(vr[lane + 32 * e]);
        }
    }
    if (lane == 0) {
        s_max[warp] = st.max;
        s_sum[warp] = st.sum;
    }
    for (int e = 0; e < V; ++e) s_acc[warp][lane + 32 * e] = acc[e];
    __syncthreads();
    if (warp != 0) return;
    for (int w = 1; w < k_warps; ++w) {
        float fa, fb;
        math::softmax_merge(st, math::softmax_state{s_max[w], s_sum[w]}, fa, fb);
        for (int e = 0; e < V; ++e) acc[e] = acc[e] * fa + s_acc[w][lane + 32 * e] * fb;
    }
    const float inv = math::softmax_finish_scale(st);
    float * oh = out + (int64_t(t) * n_heads + h) * D;
    for (int e = 0; e < V; ++e) oh[lane + 32 * e] = acc[e] * inv;
}

}  // namespace

void paged_attention(const float * q, const kv::kv_view & kv, int32_t layer, int64_t n_heads, const int32_t * tok_seq,
                     const int32_t * tok_pos, int64_t n_tok, float scale, float * out, cudaStream_t s) {
    TTS_CHECK(kv.n_kv_heads > 0 && n_heads % kv.n_kv_heads == 0, "paged_attention: %lld heads over %d kv heads",
              (long long)n_heads, kv.n_kv_heads);
    TTS_CHECK(layer >= 0 && layer < kv.n_layers, "paged_attention: layer %d of %d", layer, kv.n_layers);
    TTS_CHECK(n_tok < (int64_t(1) << 31) && n_heads <= 65535, "paged_attention: grid too large");
    if (n_tok == 0) return;
    const dim3 grid{unsigned(n_tok), unsigned(n_heads)};
    dispatch_head_dim(kv.head_dim, [&](auto d) {
        attention_kernel<decltype(d)::value><<<grid, 32 * k_warps, 0, s>>>(q, kv, layer, int32_t(n_heads), tok_seq,
                                                                           tok_pos, scale, out);
    });
    TTS_CUDA_LAUNCHED();
}

}  // namespace tts::kernels::cuda
