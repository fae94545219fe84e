// attention_tile: the scalar table (any geometry) and the choice of level.
#include "kernels/cpu/attention_tile.h"

#include <algorithm>
#include <cmath>

#include "kernels/cpu/fp16.h"

namespace tts::kernels::cpu {

namespace {

void widen_scalar(const uint16_t * k, const uint16_t * v, int32_t bs, int32_t d, float * kt, float * vf) {
    for (int32_t j = 0; j < bs; ++j) {
        for (int32_t i = 0; i < d; ++i) {
            kt[i * bs + j] = f16_to_f32(k[j * d + i]);
            vf[j * d + i] = f16_to_f32(v[j * d + i]);
        }
    }
}

void attend_scalar(const float * q, int32_t n_q, const float * kt, const float * vf, int32_t bs, int32_t d,
                   int32_t n, float scale, float * m, float * l, float * acc, float * scratch) {
    for (int32_t h = 0; h < n_q; ++h) {
        const float * qh = q + h * d;
        float * s = scratch;   // [n] scores, then weights
        float page_max = -INFINITY;
        for (int32_t j = 0; j < n; ++j) {
            float a = 0;
            for (int32_t i = 0; i < d; ++i) a += qh[i] * kt[i * bs + j];
            s[j] = a * scale;
            page_max = std::max(page_max, s[j]);
        }
        const float new_max = std::max(m[h], page_max);
        const float alpha = std::exp(m[h] - new_max);   // 0 on the first page
        float page_sum = 0;
        for (int32_t j = 0; j < n; ++j) page_sum += (s[j] = std::exp(s[j] - new_max));
        l[h] = l[h] * alpha + page_sum;
        m[h] = new_max;
        float * ah = acc + h * d;
        for (int32_t i = 0; i < d; ++i) ah[i] *= alpha;
        for (int32_t j = 0; j < n; ++j) {
            for (int32_t i = 0; i < d; ++i) ah[i] += s[j] * vf[j * d + i];
        }
    }
}

constexpr attn_tile_ops k_scalar{widen_scalar, attend_scalar};

}  // namespace

const attn_tile_ops & detail::attn_tile_ops_scalar() { return k_scalar; }

const attn_tile_ops & attn_tile_ops_for(simd_level level, int32_t block_size, int32_t head_dim) {
    if (level >= simd_level::avx512 && block_size % 16 == 0 && head_dim % 16 == 0) return detail::attn_tile_ops_avx512();
    if (level >= simd_level::avx2 && block_size % 8 == 0 && head_dim % 8 == 0) return detail::attn_tile_ops_avx2();
    return k_scalar;
}

}  // namespace tts::kernels::cpu
