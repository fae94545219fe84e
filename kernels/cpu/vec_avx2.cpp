// vec_avx2: AVX2/FMA versions of the vec_ops loops (compiled with -mavx2 -mfma -mf16c).
//
// Exponentials by simd::exp (8 lanes). Tails run through the same vector code on masked
// loads, so an element's value never depends on its position. f64 sums: two 4-lane
// accumulators (low and high half of each 8-float vector), combined as (lo + hi) at the end.
#include <immintrin.h>

#include <cmath>

#include "kernels/cpu/simd.h"
#include "kernels/cpu/vec.h"

namespace tts::kernels::cpu {

namespace {

inline __m256i tail_mask(int64_t rem) {   // lanes [0, rem) set, rem in [1, 8)
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(int32_t(rem)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

inline __m256 silu_mul8(__m256 g, __m256 u) {
    const __m256 e = simd::exp(_mm256_sub_ps(_mm256_setzero_ps(), g));
    return _mm256_mul_ps(_mm256_div_ps(g, _mm256_add_ps(_mm256_set1_ps(1.0f), e)), u);
}

void silu_mul_avx2(const float * gate, const float * up, float * out, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, silu_mul8(_mm256_loadu_ps(gate + i), _mm256_loadu_ps(up + i)));
    if (i < n) {
        const __m256i m = tail_mask(n - i);
        _mm256_maskstore_ps(out + i, m, silu_mul8(_mm256_maskload_ps(gate + i, m), _mm256_maskload_ps(up + i, m)));
    }
}

inline void add_f64(__m256 v, __m256d & lo, __m256d & hi) {
    lo = _mm256_add_pd(lo, _mm256_cvtps_pd(_mm256_castps256_ps128(v)));
    hi = _mm256_add_pd(hi, _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
}

inline double hsum_f64(__m256d lo, __m256d hi) {
    const __m256d s = _mm256_add_pd(lo, hi);
    const __m128d t = _mm_add_pd(_mm256_castpd256_pd128(s), _mm256_extractf128_pd(s, 1));
    return _mm_cvtsd_f64(_mm_add_sd(t, _mm_unpackhi_pd(t, t)));
}

double exp_sum_avx2(const float * x, int64_t n, float c, float s, float * y) {
    const __m256 vc = _mm256_set1_ps(c), vs = _mm256_set1_ps(s);
    __m256d lo = _mm256_setzero_pd(), hi = lo;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 e = simd::exp(_mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i), vc), vs));
        _mm256_storeu_ps(y + i, e);
        add_f64(e, lo, hi);
    }
    if (i < n) {
        const __m256i m = tail_mask(n - i);
        const __m256 v = _mm256_blendv_ps(_mm256_set1_ps(-INFINITY), _mm256_maskload_ps(x + i, m),
                                          _mm256_castsi256_ps(m));
        const __m256 e = simd::exp(_mm256_mul_ps(_mm256_sub_ps(v, vc), vs));   // 0 outside
        _mm256_maskstore_ps(y + i, m, e);
        add_f64(e, lo, hi);
    }
    return hsum_f64(lo, hi);
}

void exp_moments_avx2(const float * x, int64_t n, float c, double * z, double * ez) {
    // d >= -200: e^d is then exactly 0 below -87.3, and a -inf logit adds 0 * -200, not NaN.
    const __m256 vc = _mm256_set1_ps(c), floor = _mm256_set1_ps(-200.0f);
    __m256d zlo = _mm256_setzero_pd(), zhi = zlo, elo = zlo, ehi = zlo;
    auto step = [&](__m256 d) {
        const __m256 e = simd::exp(d);
        add_f64(e, zlo, zhi);
        elo = _mm256_add_pd(elo, _mm256_mul_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(e)),
                                               _mm256_cvtps_pd(_mm256_castps256_ps128(d))));
        ehi = _mm256_add_pd(ehi, _mm256_mul_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(e, 1)),
                                               _mm256_cvtps_pd(_mm256_extractf128_ps(d, 1))));
    };
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) step(_mm256_max_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i), vc), floor));
    if (i < n) {
        const __m256i m = tail_mask(n - i);
        // Outside lanes get d = -200 and add nothing.
        step(_mm256_max_ps(_mm256_blendv_ps(floor, _mm256_sub_ps(_mm256_maskload_ps(x + i, m), vc), _mm256_castsi256_ps(m)),
                           floor));
    }
    *z = hsum_f64(zlo, zhi);
    *ez = hsum_f64(elo, ehi);
}

int64_t argmax_avx2(const float * x, int64_t n) {
    __m256 vmax = _mm256_set1_ps(-INFINITY);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) vmax = _mm256_max_ps(vmax, _mm256_loadu_ps(x + i));
    float best = simd::hmax(vmax);
    for (; i < n; ++i) best = std::fmax(best, x[i]);
    const __m256 vb = _mm256_set1_ps(best);
    for (i = 0; i + 8 <= n; i += 8) {
        const int mask = _mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(x + i), vb, _CMP_EQ_OQ));
        if (mask) return i + __builtin_ctz(unsigned(mask));
    }
    for (; i < n; ++i)
        if (x[i] == best) return i;
    return 0;
}

// Mostly-empty selections: one compare per 8 values, scalar work only where a lane passes.
int64_t select_ge_avx2(const float * x, int64_t n, float t, int32_t * idx) {
    const __m256 vt = _mm256_set1_ps(t);
    int64_t k = 0, i = 0;
    for (; i + 8 <= n; i += 8) {
        unsigned mask = unsigned(_mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(x + i), vt, _CMP_GE_OQ)));
        for (; mask; mask &= mask - 1) idx[k++] = int32_t(i + __builtin_ctz(mask));
    }
    for (; i < n; ++i)
        if (x[i] >= t) idx[k++] = int32_t(i);
    return k;
}

constexpr vec_ops k_avx2{silu_mul_avx2, exp_sum_avx2, exp_moments_avx2, argmax_avx2, select_ge_avx2};

}  // namespace

const vec_ops & detail::vec_ops_avx2() { return k_avx2; }

}  // namespace tts::kernels::cpu
