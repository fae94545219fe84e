// attention_tile_avx512: 16 keys per vector (compiled with AVX-512 F flags).
//
// Scores: for each vector of 16 keys, sum_i q[i] * kt[i, keys] with 4 partial sums over
// i mod 4 (combined as (0+1)+(2+3)), then x scale. Weights e^(s - m') by the polynomial
// simd::exp; the page sum is the fixed-tree hsum of the key vectors added in order. Output:
// acc = acc * alpha, then one FMA per key j in order. Two heads share each V row load; the
// arithmetic of a head is the same whether it is paired or not.
#include <immintrin.h>

#include <cmath>

#include "kernels/cpu/attention_tile.h"
#include "kernels/cpu/simd.h"

namespace tts::kernels::cpu {

namespace {

// r[i] lane j <- r[j] lane i.
inline void transpose16(__m512 r[16]) {
    __m512 t[16], u[16];
#pragma GCC unroll 16
    for (int k = 0; k < 8; ++k) {
        t[2 * k] = _mm512_unpacklo_ps(r[2 * k], r[2 * k + 1]);
        t[2 * k + 1] = _mm512_unpackhi_ps(r[2 * k], r[2 * k + 1]);
    }
#pragma GCC unroll 16
    for (int k = 0; k < 4; ++k) {
        u[4 * k + 0] = _mm512_shuffle_ps(t[4 * k + 0], t[4 * k + 2], 0x44);
        u[4 * k + 1] = _mm512_shuffle_ps(t[4 * k + 0], t[4 * k + 2], 0xEE);
        u[4 * k + 2] = _mm512_shuffle_ps(t[4 * k + 1], t[4 * k + 3], 0x44);
        u[4 * k + 3] = _mm512_shuffle_ps(t[4 * k + 1], t[4 * k + 3], 0xEE);
    }
    // u[4k + c], 128-bit lane L, holds column 4L + c of rows 4k..4k+3.
#pragma GCC unroll 16
    for (int c = 0; c < 4; ++c) {
        const __m512 x0 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0x44), x1 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0xEE);
        const __m512 y0 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0x44);
        const __m512 y1 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0xEE);
        r[c] = _mm512_shuffle_f32x4(x0, y0, 0x88);
        r[4 + c] = _mm512_shuffle_f32x4(x0, y0, 0xDD);
        r[8 + c] = _mm512_shuffle_f32x4(x1, y1, 0x88);
        r[12 + c] = _mm512_shuffle_f32x4(x1, y1, 0xDD);
    }
}

inline __m512 load_f16(const uint16_t * p) {
    return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i *>(p)));
}

void widen_avx512(const uint16_t * k, const uint16_t * v, int32_t bs, int32_t d, float * kt, float * vf) {
    for (int32_t kb = 0; kb < bs; kb += 16) {
        for (int32_t c = 0; c < d; c += 16) {
            __m512 r[16];
#pragma GCC unroll 16
            for (int j = 0; j < 16; ++j) r[j] = load_f16(k + (kb + j) * d + c);
            transpose16(r);
#pragma GCC unroll 16
            for (int i = 0; i < 16; ++i) _mm512_storeu_ps(kt + (c + i) * bs + kb, r[i]);
        }
    }
    const int64_t nv = int64_t(bs) * d;
    for (int64_t i = 0; i < nv; i += 16) _mm512_storeu_ps(vf + i, load_f16(v + i));
}

// Scores of one head -> weights in s[0, n); returns alpha and updates m, l.
inline float softmax_page(const float * qh, const float * kt, int32_t bs, int32_t d, int32_t n, float scale,
                          float & m, float & l, float * s) {
    const __m512 vscale = _mm512_set1_ps(scale), neg_inf = _mm512_set1_ps(-INFINITY);
    __m512 vmax = neg_inf;
    for (int32_t kb = 0; kb < n; kb += 16) {
        const float * kc = kt + kb;
        __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        for (int32_t i = 0; i < d; i += 4) {
            a0 = _mm512_fmadd_ps(_mm512_set1_ps(qh[i]), _mm512_loadu_ps(kc + i * bs), a0);
            a1 = _mm512_fmadd_ps(_mm512_set1_ps(qh[i + 1]), _mm512_loadu_ps(kc + (i + 1) * bs), a1);
            a2 = _mm512_fmadd_ps(_mm512_set1_ps(qh[i + 2]), _mm512_loadu_ps(kc + (i + 2) * bs), a2);
            a3 = _mm512_fmadd_ps(_mm512_set1_ps(qh[i + 3]), _mm512_loadu_ps(kc + (i + 3) * bs), a3);
        }
        const __m512 sc = _mm512_mul_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)), vscale);
        const int32_t live = n - kb;
        const __mmask16 mask = live >= 16 ? __mmask16(0xffff) : __mmask16((1u << live) - 1);
        const __m512 sm = _mm512_mask_blend_ps(mask, neg_inf, sc);
        vmax = _mm512_max_ps(vmax, sm);
        _mm512_storeu_ps(s + kb, sm);
    }
    const float new_max = std::fmax(m, _mm512_reduce_max_ps(vmax));
    const float alpha = std::exp(m - new_max);   // 0 on the first page
    const __m512 vm = _mm512_set1_ps(new_max);
    __m512 vsum = _mm512_setzero_ps();
    for (int32_t kb = 0; kb < n; kb += 16) {
        const __m512 p = simd::exp(_mm512_sub_ps(_mm512_loadu_ps(s + kb), vm));
        vsum = _mm512_add_ps(vsum, p);
        _mm512_storeu_ps(s + kb, p);
    }
    l = l * alpha + simd::hsum(vsum);
    m = new_max;
    return alpha;
}

// acc[0, 16 ND) of one or two heads: acc = acc * alpha + sum_j w_j v_j.
template <int ND, bool PAIR>
inline void accumulate(const float * vf, int32_t n, const float * wa, float alpha_a, float * acc_a, const float * wb,
                       float alpha_b, float * acc_b) {
    constexpr int D = 16 * ND;
    __m512 a[ND], b[ND];
#pragma GCC unroll 16
    for (int v = 0; v < ND; ++v) {
        a[v] = _mm512_mul_ps(_mm512_loadu_ps(acc_a + 16 * v), _mm512_set1_ps(alpha_a));
        if constexpr (PAIR) b[v] = _mm512_mul_ps(_mm512_loadu_ps(acc_b + 16 * v), _mm512_set1_ps(alpha_b));
    }
    for (int32_t j = 0; j < n; ++j) {
        const __m512 pa = _mm512_set1_ps(wa[j]);
        const __m512 pb = PAIR ? _mm512_set1_ps(wb[j]) : pa;
#pragma GCC unroll 16
        for (int v = 0; v < ND; ++v) {
            const __m512 x = _mm512_loadu_ps(vf + j * D + 16 * v);
            a[v] = _mm512_fmadd_ps(pa, x, a[v]);
            if constexpr (PAIR) b[v] = _mm512_fmadd_ps(pb, x, b[v]);
        }
    }
#pragma GCC unroll 16
    for (int v = 0; v < ND; ++v) {
        _mm512_storeu_ps(acc_a + 16 * v, a[v]);
        if constexpr (PAIR) _mm512_storeu_ps(acc_b + 16 * v, b[v]);
    }
}

// Any head_dim % 16 == 0: 16 output lanes at a time, accumulator kept in a register per chunk.
inline void accumulate_any(const float * vf, int32_t d, int32_t n, const float * w, float alpha, float * acc) {
    for (int32_t c = 0; c < d; c += 16) {
        __m512 a = _mm512_mul_ps(_mm512_loadu_ps(acc + c), _mm512_set1_ps(alpha));
        for (int32_t j = 0; j < n; ++j) a = _mm512_fmadd_ps(_mm512_set1_ps(w[j]), _mm512_loadu_ps(vf + j * d + c), a);
        _mm512_storeu_ps(acc + c, a);
    }
}

template <int ND>
void attend_avx512(const float * q, int32_t n_q, const float * kt, const float * vf, int32_t bs, int32_t d, int32_t n,
                   float scale, float * m, float * l, float * acc, float * scratch) {
    float * alpha = scratch;              // [n_q]
    float * w = scratch + n_q;            // [n_q, bs]
    for (int32_t h = 0; h < n_q; ++h) alpha[h] = softmax_page(q + h * d, kt, bs, d, n, scale, m[h], l[h], w + h * bs);
    int32_t h = 0;
    if constexpr (ND > 0) {
        for (; h + 2 <= n_q; h += 2) {
            accumulate<ND, true>(vf, n, w + h * bs, alpha[h], acc + h * d, w + (h + 1) * bs, alpha[h + 1],
                                 acc + (h + 1) * d);
        }
        if (h < n_q) accumulate<ND, false>(vf, n, w + h * bs, alpha[h], acc + h * d, nullptr, 0, nullptr);
    } else {
        for (; h < n_q; ++h) accumulate_any(vf, d, n, w + h * bs, alpha[h], acc + h * d);
    }
}

void attend_dispatch(const float * q, int32_t n_q, const float * kt, const float * vf, int32_t bs, int32_t d, int32_t n,
                     float scale, float * m, float * l, float * acc, float * scratch) {
    switch (d) {
    case 64: return attend_avx512<4>(q, n_q, kt, vf, bs, d, n, scale, m, l, acc, scratch);
    case 128: return attend_avx512<8>(q, n_q, kt, vf, bs, d, n, scale, m, l, acc, scratch);
    default: return attend_avx512<0>(q, n_q, kt, vf, bs, d, n, scale, m, l, acc, scratch);
    }
}

constexpr attn_tile_ops k_avx512{widen_avx512, attend_dispatch};

}  // namespace

const attn_tile_ops & detail::attn_tile_ops_avx512() { return k_avx512; }

}  // namespace tts::kernels::cpu
