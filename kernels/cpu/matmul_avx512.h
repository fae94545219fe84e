// matmul_avx512: AVX-512 (F/BW/VL/VNNI) pieces shared by the quantised kernel files
// (internal header; include only from files compiled with the AVX-512 flags).
//
// Two ways to compute the same exact integer sums of matmul_format.h's contract:
//   lane-k (decode, few tokens): a row's 64 values sit in one zmm (16 lanes of 4 values, in
//     the activation order); vpdpbusd / vpmaddubsw+vpdpwssd give 16 partial sums per
//     (token, row), and reduce16() folds 16 such vectors into one vector of 16 totals.
//   row-lane (many tokens): a panel of 16 rows is unpacked once into transposed zmm
//     (lane r = 4 values of row r), and each token's 4 activation bytes are broadcast, so one
//     vpdpbusd advances 16 rows. The unpacked panel is reused by every token of the call.
// Both leave one f32 accumulator lane per (token, row) and apply the contract's float steps
// lane-wise, so results do not depend on which path, tile or lane a (token, row) lands in.
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "kernels/cpu/matmul_format.h"
#include "kernels/cpu/matmul_kernels.h"

namespace tts::kernels::cpu::avx512 {

using rows_fn = void (*)(const mm_problem & p, int64_t r0, int64_t r1);

// Row-range functions of the quantised kernels (nullptr for other types).
rows_fn rows_q32(dtype t);   // Q4_0, Q4_1, Q5_0, Q5_1, Q8_0   (matmul_avx512_q32.cpp)
rows_fn rows_qk(dtype t);    // Q4_K, Q5_K, Q6_K               (matmul_avx512_qk.cpp)

// In place: r[k] lane j <- old r[j] lane k (a 16 x 16 transpose of int32 lanes).
__attribute__((always_inline)) inline void transpose16(__m512i r[16]) {
    __m512i t[16];
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_epi32(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_epi32(r[i], r[i + 1]);
    }
    __m512i u[16];   // u[4i + j], 128-bit lane L: rows 4i..4i+3 of column 4L + j
    for (int i = 0; i < 16; i += 4) {
        u[i] = _mm512_unpacklo_epi64(t[i], t[i + 2]);
        u[i + 1] = _mm512_unpackhi_epi64(t[i], t[i + 2]);
        u[i + 2] = _mm512_unpacklo_epi64(t[i + 1], t[i + 3]);
        u[i + 3] = _mm512_unpackhi_epi64(t[i + 1], t[i + 3]);
    }
    for (int j = 0; j < 4; ++j) {   // a 4 x 4 transpose of 128-bit lanes of u[j], u[4+j], u[8+j], u[12+j]
        const __m512i v0 = _mm512_shuffle_i32x4(u[j], u[4 + j], 0x44), v1 = _mm512_shuffle_i32x4(u[j], u[4 + j], 0xee);
        const __m512i v2 = _mm512_shuffle_i32x4(u[8 + j], u[12 + j], 0x44);
        const __m512i v3 = _mm512_shuffle_i32x4(u[8 + j], u[12 + j], 0xee);
        r[j] = _mm512_shuffle_i32x4(v0, v2, 0x88);
        r[4 + j] = _mm512_shuffle_i32x4(v0, v2, 0xdd);
        r[8 + j] = _mm512_shuffle_i32x4(v1, v3, 0x88);
        r[12 + j] = _mm512_shuffle_i32x4(v1, v3, 0xdd);
    }
}

// Pairwise step: per 128-bit lane [a0+a2, b0+b2, a1+a3, b1+b3] (then [a, b, a, b] partials).
inline __m512i fold32(__m512i a, __m512i b) {
    return _mm512_add_epi32(_mm512_unpacklo_epi32(a, b), _mm512_unpackhi_epi32(a, b));
}
inline __m512i fold64(__m512i a, __m512i b) {
    return _mm512_add_epi32(_mm512_unpacklo_epi64(a, b), _mm512_unpackhi_epi64(a, b));
}

// out lane i = sum of the 16 lanes of v[i] (exact int32 adds).
inline __m512i reduce16(const __m512i v[16]) {
    __m512i b[4];
    for (int i = 0; i < 4; ++i) b[i] = fold64(fold32(v[4 * i], v[4 * i + 1]), fold32(v[4 * i + 2], v[4 * i + 3]));
    // b[i], 128-bit lane L: partials of v[4i..4i+3]; add the four lanes, keeping i's order.
    const __m512i c0 = _mm512_add_epi32(_mm512_shuffle_i32x4(b[0], b[1], 0x88), _mm512_shuffle_i32x4(b[0], b[1], 0xdd));
    const __m512i c1 = _mm512_add_epi32(_mm512_shuffle_i32x4(b[2], b[3], 0x88), _mm512_shuffle_i32x4(b[2], b[3], 0xdd));
    return _mm512_add_epi32(_mm512_shuffle_i32x4(c0, c1, 0x88), _mm512_shuffle_i32x4(c0, c1, 0xdd));
}

// 16 32-bit words at base + idx[i] (byte offsets).
inline __m512i gather32(const uint8_t * base, __m512i idx) { return _mm512_i32gather_epi32(idx, base, 1); }

// Byte offsets r * stride of rows 0..15, rows >= n_valid repeating the last valid one.
inline __m512i row_offsets(size_t stride, int n_valid) {
    const __m512i r = _mm512_min_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                       _mm512_set1_epi32(n_valid - 1));
    return _mm512_mullo_epi32(r, _mm512_set1_epi32(int32_t(stride)));
}

// f16 halves of 16 words as f32.
inline __m512 f16_lo(__m512i w) { return _mm512_cvtph_ps(_mm512_cvtepi32_epi16(w)); }
inline __m512 f16_hi(__m512i w) { return _mm512_cvtph_ps(_mm512_cvtepi32_epi16(_mm512_srli_epi32(w, 16))); }

inline __m256 hi256(__m512 v) { return _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)); }

inline __mmask16 lanes_below(int n) { return n >= 16 ? __mmask16(0xffff) : __mmask16((1u << n) - 1); }

inline int32_t load_i32(const void * p) {
    int32_t v;
    __builtin_memcpy(&v, p, 4);
    return v;
}

}  // namespace tts::kernels::cpu::avx512
