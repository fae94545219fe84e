// simd: inline intrinsic helpers for the ISA-specific kernel files.
//
// Each section is compiled only in translation units built with the matching flags
// (vec_avx2.cpp / matmul_avx2.cpp get -mavx2 -mfma -mf16c; matmul_avx512.cpp adds AVX-512),
// so including this header from a generic file is harmless. Every reduction here has a fixed
// order: batch invariance depends on it.
#pragma once

#if defined(__AVX2__)
#include <immintrin.h>
#endif

namespace tts::kernels::cpu::simd {

#if defined(__AVX2__)
// Sum of 8 floats: ((0+4) + (2+6)) + ((1+5) + (3+7)).
inline float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

// 8 int32 lanes = sum over 4-byte groups of u8 * s8 (u in [0,255], s in [-127,127] such that
// pairwise sums stay within int16: callers guarantee |u*s + u'*s'| <= 32767).
inline __m256i dot_u8s8(__m256i u, __m256i s) {
    return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1));
}

// The f16 bit pattern at p (2 bytes, any alignment) as f32.
inline float f16_at(const void * p) {
    unsigned short h;
    __builtin_memcpy(&h, p, 2);
    return _cvtsh_ss(h);
}
#endif

#if defined(__AVX512F__)
// Sum of 16 floats in a fixed tree order.
inline float hsum(__m512 v) {
    const __m256 lo = _mm512_castps512_ps256(v);
    const __m256 hi = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1));
    return hsum(_mm256_add_ps(lo, hi));
}
#endif

}  // namespace tts::kernels::cpu::simd
