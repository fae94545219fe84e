// attention_tile_avx2: 8 keys per vector (compiled with -mavx2 -mfma -mf16c).
//
// The same algorithm and order of operations as attention_tile_avx512.cpp at half the width:
// scores with 4 partial sums over i mod 4, weights by simd::exp, the page sum as the hsum of
// the key vectors added in order, output FMAs key by key (head_dim 64: the accumulators stay in
// registers).
#include <immintrin.h>

#include <cmath>

#include "kernels/cpu/attention_tile.h"
#include "kernels/cpu/simd.h"

namespace tts::kernels::cpu {

namespace {

// r[i] lane j <- r[j] lane i.
inline void transpose8(__m256 r[8]) {
    __m256 t[8], u[8];
#pragma GCC unroll 16
    for (int k = 0; k < 4; ++k) {
        t[2 * k] = _mm256_unpacklo_ps(r[2 * k], r[2 * k + 1]);
        t[2 * k + 1] = _mm256_unpackhi_ps(r[2 * k], r[2 * k + 1]);
    }
#pragma GCC unroll 16
    for (int k = 0; k < 2; ++k) {
        u[4 * k + 0] = _mm256_shuffle_ps(t[4 * k + 0], t[4 * k + 2], 0x44);
        u[4 * k + 1] = _mm256_shuffle_ps(t[4 * k + 0], t[4 * k + 2], 0xEE);
        u[4 * k + 2] = _mm256_shuffle_ps(t[4 * k + 1], t[4 * k + 3], 0x44);
        u[4 * k + 3] = _mm256_shuffle_ps(t[4 * k + 1], t[4 * k + 3], 0xEE);
    }
#pragma GCC unroll 16
    for (int c = 0; c < 4; ++c) {
        r[c] = _mm256_permute2f128_ps(u[c], u[4 + c], 0x20);
        r[4 + c] = _mm256_permute2f128_ps(u[c], u[4 + c], 0x31);
    }
}

inline __m256 load_f16(const uint16_t * p) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i *>(p)));
}

void widen_avx2(const uint16_t * k, const uint16_t * v, int32_t bs, int32_t d, float * kt, float * vf) {
    for (int32_t kb = 0; kb < bs; kb += 8) {
        for (int32_t c = 0; c < d; c += 8) {
            __m256 r[8];
#pragma GCC unroll 16
            for (int j = 0; j < 8; ++j) r[j] = load_f16(k + (kb + j) * d + c);
            transpose8(r);
#pragma GCC unroll 16
            for (int i = 0; i < 8; ++i) _mm256_storeu_ps(kt + (c + i) * bs + kb, r[i]);
        }
    }
    const int64_t nv = int64_t(bs) * d;
    for (int64_t i = 0; i < nv; i += 8) _mm256_storeu_ps(vf + i, load_f16(v + i));
}

// Scores of one head -> weights in s[0, n); returns alpha and updates m, l.
inline float softmax_page(const float * qh, const float * kt, int32_t bs, int32_t d, int32_t n, float scale,
                          float & m, float & l, float * s) {
    const __m256 vscale = _mm256_set1_ps(scale), neg_inf = _mm256_set1_ps(-INFINITY);
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    __m256 vmax = neg_inf;
    for (int32_t kb = 0; kb < n; kb += 8) {
        const float * kc = kt + kb;
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        for (int32_t i = 0; i < d; i += 4) {
            a0 = _mm256_fmadd_ps(_mm256_broadcast_ss(qh + i), _mm256_loadu_ps(kc + i * bs), a0);
            a1 = _mm256_fmadd_ps(_mm256_broadcast_ss(qh + i + 1), _mm256_loadu_ps(kc + (i + 1) * bs), a1);
            a2 = _mm256_fmadd_ps(_mm256_broadcast_ss(qh + i + 2), _mm256_loadu_ps(kc + (i + 2) * bs), a2);
            a3 = _mm256_fmadd_ps(_mm256_broadcast_ss(qh + i + 3), _mm256_loadu_ps(kc + (i + 3) * bs), a3);
        }
        const __m256 sc = _mm256_mul_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)), vscale);
        const __m256 live = _mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_set1_epi32(n - kb), lane));
        const __m256 sm = _mm256_blendv_ps(neg_inf, sc, live);
        vmax = _mm256_max_ps(vmax, sm);
        _mm256_storeu_ps(s + kb, sm);
    }
    const float new_max = std::fmax(m, simd::hmax(vmax));
    const float alpha = std::exp(m - new_max);   // 0 on the first page
    const __m256 vm = _mm256_set1_ps(new_max);
    __m256 vsum = _mm256_setzero_ps();
    for (int32_t kb = 0; kb < n; kb += 8) {
        const __m256 p = simd::exp(_mm256_sub_ps(_mm256_loadu_ps(s + kb), vm));
        vsum = _mm256_add_ps(vsum, p);
        _mm256_storeu_ps(s + kb, p);
    }
    l = l * alpha + simd::hsum(vsum);
    m = new_max;
    return alpha;
}

// acc[0, 8 ND) of one or two heads: acc = acc * alpha + sum_j w_j v_j.
template <int ND, bool PAIR>
inline void accumulate(const float * vf, int32_t n, const float * wa, float alpha_a, float * acc_a, const float * wb,
                       float alpha_b, float * acc_b) {
    constexpr int D = 8 * ND;
    __m256 a[ND], b[ND];
#pragma GCC unroll 16
    for (int v = 0; v < ND; ++v) {
        a[v] = _mm256_mul_ps(_mm256_loadu_ps(acc_a + 8 * v), _mm256_set1_ps(alpha_a));
        if constexpr (PAIR) b[v] = _mm256_mul_ps(_mm256_loadu_ps(acc_b + 8 * v), _mm256_set1_ps(alpha_b));
    }
    for (int32_t j = 0; j < n; ++j) {
        const __m256 pa = _mm256_broadcast_ss(wa + j);
        const __m256 pb = PAIR ? _mm256_broadcast_ss(wb + j) : pa;
#pragma GCC unroll 16
        for (int v = 0; v < ND; ++v) {
            const __m256 x = _mm256_loadu_ps(vf + j * D + 8 * v);
            a[v] = _mm256_fmadd_ps(pa, x, a[v]);
            if constexpr (PAIR) b[v] = _mm256_fmadd_ps(pb, x, b[v]);
        }
    }
#pragma GCC unroll 16
    for (int v = 0; v < ND; ++v) {
        _mm256_storeu_ps(acc_a + 8 * v, a[v]);
        if constexpr (PAIR) _mm256_storeu_ps(acc_b + 8 * v, b[v]);
    }
}

inline void accumulate_any(const float * vf, int32_t d, int32_t n, const float * w, float alpha, float * acc) {
    for (int32_t c = 0; c < d; c += 8) {
        __m256 a = _mm256_mul_ps(_mm256_loadu_ps(acc + c), _mm256_set1_ps(alpha));
        for (int32_t j = 0; j < n; ++j) a = _mm256_fmadd_ps(_mm256_broadcast_ss(w + j), _mm256_loadu_ps(vf + j * d + c), a);
        _mm256_storeu_ps(acc + c, a);
    }
}

template <int ND>
void attend_avx2(const float * q, int32_t n_q, const float * kt, const float * vf, int32_t bs, int32_t d, int32_t n,
                 float scale, float * m, float * l, float * acc, float * scratch) {
    float * alpha = scratch;     // [n_q]
    float * w = scratch + n_q;   // [n_q, bs]
    for (int32_t h = 0; h < n_q; ++h) alpha[h] = softmax_page(q + h * d, kt, bs, d, n, scale, m[h], l[h], w + h * bs);
    int32_t h = 0;
    if constexpr (ND > 0 && ND <= 4) {   // a head pair's 2 ND accumulators fit the 16 registers
        for (; h + 2 <= n_q; h += 2) {
            accumulate<ND, true>(vf, n, w + h * bs, alpha[h], acc + h * d, w + (h + 1) * bs, alpha[h + 1],
                                 acc + (h + 1) * d);
        }
    }
    for (; h < n_q; ++h) {
        if constexpr (ND > 0) accumulate<ND, false>(vf, n, w + h * bs, alpha[h], acc + h * d, nullptr, 0, nullptr);
        else accumulate_any(vf, d, n, w + h * bs, alpha[h], acc + h * d);
    }
}

void attend_dispatch(const float * q, int32_t n_q, const float * kt, const float * vf, int32_t bs, int32_t d, int32_t n,
                     float scale, float * m, float * l, float * acc, float * scratch) {
    if (d == 64) return attend_avx2<8>(q, n_q, kt, vf, bs, d, n, scale, m, l, acc, scratch);
    return attend_avx2<0>(q, n_q, kt, vf, bs, d, n, scale, m, l, acc, scratch);
}

constexpr attn_tile_ops k_avx2{widen_avx2, attend_dispatch};

}  // namespace

const attn_tile_ops & detail::attn_tile_ops_avx2() { return k_avx2; }

}  // namespace tts::kernels::cpu
