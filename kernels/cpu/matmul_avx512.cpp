// matmul_avx512: the AVX-512 level's kernel table, its activation quantiser and the float
// kernels (f32 / f16 / bf16 weights, 16 values per step). The quantised kernels live in
// matmul_avx512_q32.cpp and matmul_avx512_qk.cpp (see matmul_avx512.h).
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/cpu/matmul_avx512.h"
#include "kernels/cpu/simd.h"

namespace tts::kernels::cpu {

namespace {

// The activation quantiser's primitives (matmul_format.h), rounding like the scalar level.
struct prim {
    static float amax(const float * x, int n) {
        __m512 m = _mm512_setzero_ps();
        for (int i = 0; i < n; i += 16) m = _mm512_max_ps(m, _mm512_abs_ps(_mm512_loadu_ps(x + i)));
        return _mm512_reduce_max_ps(m);
    }
    static void round(const float * x, int n, float id, int8_t * q) {
        const __m512 v = _mm512_set1_ps(id);
        for (int i = 0; i < n; i += 16) {   // cvtps rounds to nearest even, as nearbyint does
            _mm_storeu_si128(reinterpret_cast<__m128i *>(q + i),
                             _mm512_cvtepi32_epi8(_mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(x + i), v))));
        }
    }
};

template <dtype T>
size_t xq_bytes(int64_t n_in) { return xq_layout_of(T, n_in).stride; }

template <dtype T>
void quantize(const float * x, int64_t n_in, uint8_t * out) { xq_quantize<prim>(T, x, n_in, out); }

template <dtype T>
mm_kernel quant_kernel() {
    avx512::rows_fn r = avx512::rows_q32(T);
    if (!r) r = avx512::rows_qk(T);
    return {xq_bytes<T>, quantize<T>, r};
}

// ---- float weights ---------------------------------------------------------------------

template <dtype D>
inline __m512 load16(const uint8_t * row, int64_t i, __mmask16 m) {
    if constexpr (D == dtype::f32) return _mm512_maskz_loadu_ps(m, row + 4 * i);
    const __m256i h = _mm256_maskz_loadu_epi16(m, row + 2 * i);
    if constexpr (D == dtype::f16) return _mm512_cvtph_ps(h);
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

template <dtype D, int T>
void float_tile(const mm_problem & p, int64_t o, int64_t t0) {
    const weight_view & w = *p.w;
    const uint8_t * row = static_cast<const uint8_t *>(w.data) + size_t(o) * row_bytes(uint32_t(D), w.n_in);
    __m512 acc[T];
    for (int t = 0; t < T; ++t) acc[t] = _mm512_setzero_ps();
    for (int64_t i = 0; i < w.n_in; i += 16) {
        const __mmask16 m = w.n_in - i >= 16 ? __mmask16(0xffff) : __mmask16((1u << (w.n_in - i)) - 1);
        const __m512 wv = load16<D>(row, i, m);
#pragma GCC unroll 8
        for (int t = 0; t < T; ++t) {
            acc[t] = _mm512_fmadd_ps(wv, _mm512_maskz_loadu_ps(m, p.x + (t0 + t) * w.n_in + i), acc[t]);
        }
    }
    for (int t = 0; t < T; ++t) p.y[(t0 + t) * w.n_out + o] = simd::hsum(acc[t]);
}

template <dtype D>
void rows_float(const mm_problem & p, int64_t r0, int64_t r1) {
    for (int64_t o = r0; o < r1; ++o) {
        int64_t t = 0;
        for (; t + 4 <= p.n_tok; t += 4) float_tile<D, 4>(p, o, t);
        for (; t < p.n_tok; ++t) float_tile<D, 1>(p, o, t);
    }
}

}  // namespace

mm_kernel mm_kernel_avx512(dtype t) {
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
