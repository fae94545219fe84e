// attention_partial: online softmax over pages, page by page (one f16 widening per key row
// serves all query heads of the group).
#include "kernels/cpu/attention_partial.h"

#include <algorithm>
#include <cmath>

namespace tts::kernels::cpu {

void reset(attn_partial & st) {
    std::fill(st.max, st.max + st.n_q, -INFINITY);
    std::fill(st.sum, st.sum + st.n_q, 0.0f);
    std::fill(st.acc, st.acc + int64_t(st.n_q) * st.head_dim, 0.0f);
}

void attend_pages(const vec_ops & ops, const float * q, const kv::kv_view & kv, int32_t layer, int32_t kvh,
                  const int32_t * pages, int32_t n_keys, float scale, attn_partial & st, float * scratch) {
    const int64_t d = kv.head_dim, bs = kv.block_size;
    float * rows = scratch;              // [block_size, head_dim] keys, then values, of one page
    float * score = scratch + bs * d;    // [n_q, block_size]
    for (int32_t first = 0, pi = 0; first < n_keys; first += int32_t(bs), ++pi) {
        const int64_t n = std::min<int64_t>(bs, n_keys - first);
        const size_t off = kv.offset(layer, pages[pi], kvh, 0);
        ops.f16_to_f32(kv.k + off, rows, n * d);
        for (int32_t h = 0; h < st.n_q; ++h) {
            float * s = score + h * bs;
            float page_max = -INFINITY;
            for (int64_t j = 0; j < n; ++j) {
                s[j] = ops.dot(q + h * d, rows + j * d, d) * scale;
                page_max = std::max(page_max, s[j]);
            }
            const float new_max = std::max(st.max[h], page_max);
            const float alpha = std::exp(st.max[h] - new_max);   // 0 on the first page
            float page_sum = 0;
            for (int64_t j = 0; j < n; ++j) page_sum += (s[j] = std::exp(s[j] - new_max));
            st.sum[h] = st.sum[h] * alpha + page_sum;
            st.max[h] = new_max;
            if (alpha != 1.0f) ops.scale(st.acc + h * d, alpha, d);
        }
        ops.f16_to_f32(kv.v + off, rows, n * d);
        for (int32_t h = 0; h < st.n_q; ++h) {
            for (int64_t j = 0; j < n; ++j) ops.axpy(score[h * bs + j], rows + j * d, st.acc + h * d, d);
        }
    }
}

void merge(const vec_ops & ops, attn_partial & into, const attn_partial & from) {
    for (int32_t h = 0; h < into.n_q; ++h) {
        const float m = std::max(into.max[h], from.max[h]);
        if (m == -INFINITY) continue;   // both empty
        const float a = std::exp(into.max[h] - m), b = std::exp(from.max[h] - m);
        into.sum[h] = into.sum[h] * a + from.sum[h] * b;
        into.max[h] = m;
        ops.scale(into.acc + h * into.head_dim, a, into.head_dim);
        ops.axpy(b, from.acc + h * into.head_dim, into.acc + h * into.head_dim, into.head_dim);
    }
}

void finish(const attn_partial & st, float * out) {
    for (int32_t h = 0; h < st.n_q; ++h) {
        const float inv = st.sum[h] > 0 ? 1.0f / st.sum[h] : 0.0f;
        for (int32_t i = 0; i < st.head_dim; ++i) out[h * st.head_dim + i] = st.acc[h * st.head_dim + i] * inv;
    }
}

}  // namespace tts::kernels::cpu
