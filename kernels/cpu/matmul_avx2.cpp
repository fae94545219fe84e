// matmul_avx2: the AVX2 level's kernel table, its activation quantiser and the float kernels
// (f32 / f16 / bf16 weights, 8 values per step, scalar tail). The quantised kernels live in
// matmul_avx2_q.cpp and follow matmul_format.h's contract, so they give the scalar level's bits.
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/cpu/matmul_format.h"
#include "kernels/cpu/matmul_kernels.h"
#include "kernels/cpu/simd.h"

namespace tts::kernels::cpu {

namespace {

// The activation quantiser's primitives (matmul_format.h), rounding like the scalar level.
struct prim {
    static float amax(const float * x, int n) {
        const __m256 sign = _mm256_set1_ps(-0.0f);
        __m256 m = _mm256_setzero_ps();
        for (int i = 0; i < n; i += 8) m = _mm256_max_ps(m, _mm256_andnot_ps(sign, _mm256_loadu_ps(x + i)));
        __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
        m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
        m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
        return _mm_cvtss_f32(m4);
    }
    static void round(const float * x, int n, float id, int8_t * q) {
        const __m256 v = _mm256_set1_ps(id);
        for (int i = 0; i < n; i += 32) {   // cvtps rounds to nearest even, as nearbyint does
            __m256i r[4];
            for (int j = 0; j < 4; ++j) r[j] = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + i + 8 * j), v));
            // packs interleave 128-bit lanes; the permute restores order. |r| <= 127: no saturation.
            const __m256i p8 = _mm256_packs_epi16(_mm256_packs_epi32(r[0], r[1]), _mm256_packs_epi32(r[2], r[3]));
            _mm256_storeu_si256(reinterpret_cast<__m256i *>(q + i),
                                _mm256_permutevar8x32_epi32(p8, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7)));
        }
    }
};

template <dtype T>
size_t xq_bytes(int64_t n_in) { return xq_layout_of(T, n_in).stride; }

template <dtype T>
void quantize(const float * x, int64_t n_in, uint8_t * out) { xq_quantize<prim>(T, x, n_in, out); }

template <dtype T>
mm_kernel quant_kernel() { return {xq_bytes<T>, quantize<T>, mm_rows_avx2_quant(T)}; }

// ---- float weights: 8 values per step, scalar tail ------------------------------------

template <dtype D>
inline __m256 load8(const uint8_t * row, int64_t i) {
    if constexpr (D == dtype::f32) return _mm256_loadu_ps(reinterpret_cast<const float *>(row) + i);
    const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i *>(row + 2 * i));
    if constexpr (D == dtype::f16) return _mm256_cvtph_ps(h);
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}

template <dtype D>
inline float load1(const uint8_t * row, int64_t i) {
    if constexpr (D == dtype::f32) return reinterpret_cast<const float *>(row)[i];
    uint16_t h;
    std::memcpy(&h, row + 2 * i, 2);
    if constexpr (D == dtype::f16) return _cvtsh_ss(h);
    const uint32_t u = uint32_t(h) << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}

template <dtype D>
void rows_float(const mm_problem & p, int64_t r0, int64_t r1) {
    const weight_view & w = *p.w;
    const size_t rb = row_bytes(uint32_t(D), w.n_in);
    for (int64_t o = r0; o < r1; ++o) {
        const uint8_t * row = static_cast<const uint8_t *>(w.data) + size_t(o) * rb;
        for (int64_t t = 0; t < p.n_tok; ++t) {
            const float * x = p.x + t * w.n_in;
            __m256 acc = _mm256_setzero_ps();
            int64_t i = 0;
            for (; i + 8 <= w.n_in; i += 8) acc = _mm256_fmadd_ps(load8<D>(row, i), _mm256_loadu_ps(x + i), acc);
            float s = simd::hsum(acc);
            for (; i < w.n_in; ++i) s += load1<D>(row, i) * x[i];
            p.y[t * w.n_out + o] = s;
        }
    }
}

}  // namespace

mm_kernel mm_kernel_avx2(dtype t) {
    switch (t) {
    case dtype::f32: return {nullptr, nullptr, rows_float<dtype::f32>};
    case dtype::f16: return {nullptr, nullptr, rows_float<dtype::f16>};
    case dtype::bf16: return {nullptr, nullptr, rows_float<dtype::bf16>};
    case dtype::q4_0: return quant_kernel<dtype::q4_0>();
    case dtype::q4_1: return quant_kernel<dtype::q4_1>();
    case dtype::q5_0: return quant_kernel<dtype::q5_0>();
    case dtype::q5_1: return quant_kernel<dtype::q5_1>();
    case dtype::q8_0: return quant_kernel<dtype::q8_0>();
    case dtype::q4_k: return quant_kernel<dtype::q4_k>();
    case dtype::q5_k: return quant_kernel<dtype::q5_k>();
    case dtype::q6_k: return quant_kernel<dtype::q6_k>();
    default: return {};
    }
}

}  // namespace tts::kernels::cpu
