// vec_avx512: AVX-512 F versions of the vec_ops loops (16 lanes; tails by masked loads).
//
// Exponentials by simd::exp (16 lanes, scalef). f64 sums: two 8-lane accumulators (low and
// high half of each 16-float vector), combined as (lo + hi) in a fixed tree at the end.
#include <immintrin.h>

#include <cmath>

#include "kernels/cpu/simd.h"
#include "kernels/cpu/vec.h"

namespace tts::kernels::cpu {

namespace {

inline __mmask16 tail_mask(int64_t rem) { return __mmask16((1u << rem) - 1); }   // rem in [1, 16)

inline __m512 silu_mul16(__m512 g, __m512 u) {
    const __m512 e = simd::exp(_mm512_sub_ps(_mm512_setzero_ps(), g));
    return _mm512_mul_ps(_mm512_div_ps(g, _mm512_add_ps(_mm512_set1_ps(1.0f), e)), u);
}

void silu_mul_avx512(const float * gate, const float * up, float * out, int64_t n) {
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(out + i, silu_mul16(_mm512_loadu_ps(gate + i), _mm512_loadu_ps(up + i)));
    if (i < n) {
        const __mmask16 m = tail_mask(n - i);
        _mm512_mask_storeu_ps(out + i, m, silu_mul16(_mm512_maskz_loadu_ps(m, gate + i), _mm512_maskz_loadu_ps(m, up + i)));
    }
}

inline __m512d lo_pd(__m512 v) { return _mm512_cvtps_pd(_mm512_castps512_ps256(v)); }
inline __m512d hi_pd(__m512 v) {
    return _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
}

inline double hsum_f64(__m512d lo, __m512d hi) {
    const __m512d s = _mm512_add_pd(lo, hi);
    const __m256d a = _mm256_add_pd(_mm512_castpd512_pd256(s), _mm512_extractf64x4_pd(s, 1));
    const __m128d t = _mm_add_pd(_mm256_castpd256_pd128(a), _mm256_extractf128_pd(a, 1));
    return _mm_cvtsd_f64(_mm_add_sd(t, _mm_unpackhi_pd(t, t)));
}

double exp_sum_avx512(const float * x, int64_t n, float c, float s, float * y) {
    const __m512 vc = _mm512_set1_ps(c), vs = _mm512_set1_ps(s);
    __m512d lo = _mm512_setzero_pd(), hi = lo;
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m512 e = simd::exp(_mm512_mul_ps(_mm512_sub_ps(_mm512_loadu_ps(x + i), vc), vs));
        _mm512_storeu_ps(y + i, e);
        lo = _mm512_add_pd(lo, lo_pd(e));
        hi = _mm512_add_pd(hi, hi_pd(e));
    }
    if (i < n) {
        const __mmask16 m = tail_mask(n - i);
        const __m512 v = _mm512_mask_loadu_ps(_mm512_set1_ps(-INFINITY), m, x + i);
        const __m512 e = simd::exp(_mm512_mul_ps(_mm512_sub_ps(v, vc), vs));   // 0 outside
        _mm512_mask_storeu_ps(y + i, m, e);
        lo = _mm512_add_pd(lo, lo_pd(e));
        hi = _mm512_add_pd(hi, hi_pd(e));
    }
    return hsum_f64(lo, hi);
}

void exp_moments_avx512(const float * x, int64_t n, float c, double * z, double * ez) {
    // d >= -200: e^d is then exactly 0 below -104, and a -inf logit adds 0 * -200, not NaN.
    const __m512 vc = _mm512_set1_ps(c), floor = _mm512_set1_ps(-200.0f);
    __m512d zlo = _mm512_setzero_pd(), zhi = zlo, elo = zlo, ehi = zlo;
    auto step = [&](__m512 d) {
        const __m512 e = simd::exp(d);
        zlo = _mm512_add_pd(zlo, lo_pd(e));
        zhi = _mm512_add_pd(zhi, hi_pd(e));
        elo = _mm512_add_pd(elo, _mm512_mul_pd(lo_pd(e), lo_pd(d)));
        ehi = _mm512_add_pd(ehi, _mm512_mul_pd(hi_pd(e), hi_pd(d)));
    };
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) step(_mm512_max_ps(_mm512_sub_ps(_mm512_loadu_ps(x + i), vc), floor));
    if (i < n) {
        // Outside lanes get d = -200 and add nothing.
        const __mmask16 m = tail_mask(n - i);
        step(_mm512_max_ps(_mm512_mask_sub_ps(floor, m, _mm512_maskz_loadu_ps(m, x + i), vc), floor));
    }
    *z = hsum_f64(zlo, zhi);
    *ez = hsum_f64(elo, ehi);
}

int64_t argmax_avx512(const float * x, int64_t n) {
    __m512 vmax = _mm512_set1_ps(-INFINITY);
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) vmax = _mm512_max_ps(vmax, _mm512_loadu_ps(x + i));
    if (i < n) vmax = _mm512_max_ps(vmax, _mm512_mask_loadu_ps(_mm512_set1_ps(-INFINITY), tail_mask(n - i), x + i));
    const float best = _mm512_reduce_max_ps(vmax);
    const __m512 vb = _mm512_set1_ps(best);
    for (i = 0; i + 16 <= n; i += 16) {
        const __mmask16 hit = _mm512_cmp_ps_mask(_mm512_loadu_ps(x + i), vb, _CMP_EQ_OQ);
        if (hit) return i + __builtin_ctz(unsigned(hit));
    }
    for (; i < n; ++i)
        if (x[i] == best) return i;
    return 0;
}

int64_t select_ge_avx512(const float * x, int64_t n, float t, int32_t * idx) {
    const __m512 vt = _mm512_set1_ps(t);
    const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    int64_t k = 0, i = 0;
    for (; i < n; i += 16) {
        const __mmask16 live = n - i >= 16 ? __mmask16(0xffff) : tail_mask(n - i);
        const __mmask16 hit = _mm512_mask_cmp_ps_mask(live, _mm512_maskz_loadu_ps(live, x + i), vt, _CMP_GE_OQ);
        if (!hit) continue;
        _mm512_mask_compressstoreu_epi32(idx + k, hit, _mm512_add_epi32(lane, _mm512_set1_epi32(int32_t(i))));
        k += __builtin_popcount(unsigned(hit));
    }
    return k;
}

constexpr vec_ops k_avx512{silu_mul_avx512, exp_sum_avx512, exp_moments_avx512, argmax_avx512, select_ge_avx512};

}  // namespace

const vec_ops & detail::vec_ops_avx512() { return k_avx512; }

}  // namespace tts::kernels::cpu
