// attention_partial: online softmax over pages, page by page, through the tile kernels.
#include "kernels/cpu/attention_partial.h"

#include <algorithm>
#include <cmath>

namespace tts::kernels::cpu {

void reset(attn_partial & st) {
    std::fill(st.max, st.max + st.n_q, -INFINITY);
    std::fill(st.sum, st.sum + st.n_q, 0.0f);
    std::fill(st.acc, st.acc + int64_t(st.n_q) * st.head_dim, 0.0f);
}

size_t attend_scratch_floats(int32_t block_size, int32_t head_dim, int32_t n_q) {
    return 2 * size_t(block_size) * head_dim + size_t(n_q) * (block_size + 1);
}

void attend_pages(const attn_tile_ops & ops, const float * q, const kv::kv_view & kv, int32_t layer, int32_t kvh,
                  const int32_t * pages, int32_t n_keys, float scale, attn_partial & st, float * scratch) {
    const int32_t d = kv.head_dim, bs = kv.block_size;
    float * kt = scratch;                            // [head_dim, block_size]
    float * vf = scratch + size_t(bs) * d;           // [block_size, head_dim]
    float * tile_scratch = scratch + 2 * size_t(bs) * d;
    for (int32_t first = 0, pi = 0; first < n_keys; first += bs, ++pi) {
        const size_t off = kv.offset(layer, pages[pi], kvh, 0);
        ops.widen(kv.k + off, kv.v + off, bs, d, kt, vf);
        ops.attend(q, st.n_q, kt, vf, bs, d, std::min(bs, n_keys - first), scale, st.max, st.sum, st.acc,
                   tile_scratch);
    }
}

void merge(attn_partial & into, const attn_partial & from) {
    const int32_t d = into.head_dim;
    for (int32_t h = 0; h < into.n_q; ++h) {
        const float m = std::max(into.max[h], from.max[h]);
        if (m == -INFINITY) continue;   // both empty
        const float a = std::exp(into.max[h] - m), b = std::exp(from.max[h] - m);
        into.sum[h] = into.sum[h] * a + from.sum[h] * b;
        into.max[h] = m;
        for (int32_t i = 0; i < d; ++i) into.acc[h * d + i] = into.acc[h * d + i] * a + from.acc[h * d + i] * b;
    }
}

void finish(const attn_partial & st, float * out) {
    for (int32_t h = 0; h < st.n_q; ++h) {
        const float inv = st.sum[h] > 0 ? 1.0f / st.sum[h] : 0.0f;
        for (int32_t i = 0; i < st.head_dim; ++i) out[h * st.head_dim + i] = st.acc[h * st.head_dim + i] * inv;
    }
}

}  // namespace tts::kernels::cpu
