// matmul_avx2: AVX2 kernels (maddubs + madd) for Q4_0, Q4_1, Q8_0, Q4_K, Q6_K and floats.
//
// Activations: blocks of 32 int8 with scale d and s = d * sum(q) (natural order). One weight
// block of 32 becomes a ymm of u8 values (nibbles) or, for signed types (Q8_0, Q6_K), |w|
// with the sign moved onto x. Per token:
//   acc  = fma(cvt(madd(maddubs(w, x), 1)), dw * dx, acc)    // 8 int32 lanes per block
//   accm = accm + mw * s                                      // min types; Q4_0 uses mw = -8d
// Pair sums stay inside int16 (|w| <= 128, |x| <= 127). Tiles change only how often weights
// are unpacked, never the operations on one (token, row) accumulator.
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/cpu/blocks.h"
#include "kernels/cpu/matmul_kernels.h"
#include "kernels/cpu/simd.h"

namespace tts::kernels::cpu {

namespace {

struct xblock {
    int8_t q[32];
    float d;   // scale
    float s;   // d * sum(q)
};

size_t xq_bytes(int64_t n_in) { return size_t(n_in / 32) * sizeof(xblock); }

void quantize(const float * x, int64_t n_in, uint8_t * out) {
    xblock * b = reinterpret_cast<xblock *>(out);
    const __m256 sign = _mm256_set1_ps(-0.0f);
    for (int64_t i = 0; i < n_in / 32; ++i, x += 32) {
        __m256 v[4], m = _mm256_setzero_ps();
        for (int j = 0; j < 4; ++j) {
            v[j] = _mm256_loadu_ps(x + 8 * j);
            m = _mm256_max_ps(m, _mm256_andnot_ps(sign, v[j]));
        }
        __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
        m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
        m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
        const float amax = _mm_cvtss_f32(m4);
        const __m256 id = _mm256_set1_ps(amax > 0 ? 127.0f / amax : 0.0f);
        __m256i q[4];
        for (int j = 0; j < 4; ++j) q[j] = _mm256_cvtps_epi32(_mm256_mul_ps(v[j], id));   // nearest even
        const __m256i sum32 = _mm256_add_epi32(_mm256_add_epi32(q[0], q[1]), _mm256_add_epi32(q[2], q[3]));
        // Pack 32 int32 -> 32 int8 in order (packs interleave 128-bit lanes; permute fixes it).
        const __m256i p16a = _mm256_packs_epi32(q[0], q[1]), p16b = _mm256_packs_epi32(q[2], q[3]);
        const __m256i p8 = _mm256_packs_epi16(p16a, p16b);
        const __m256i ordered = _mm256_permutevar8x32_epi32(p8, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
        _mm256_storeu_si256(reinterpret_cast<__m256i *>(b[i].q), ordered);
        __m128i s4 = _mm_add_epi32(_mm256_castsi256_si128(sum32), _mm256_extracti128_si256(sum32, 1));
        s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0x4e));
        s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0xb1));
        b[i].d = amax / 127.0f;
        b[i].s = b[i].d * float(_mm_cvtsi128_si32(s4));
    }
}

struct wblock {
    __m256i u;    // unsigned operand: nibbles, or |w| for signed types
    __m256i sg;   // signed types: w (its sign is applied to x)
    __m256 dw;    // per-lane scale
    float mw;     // min (min types)
};

inline __m256i nibbles(const uint8_t * qs) {
    const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i *>(qs));
    const __m256i both = _mm256_inserti128_si256(_mm256_castsi128_si256(q), _mm_srli_epi16(q, 4), 1);
    return _mm256_and_si256(both, _mm256_set1_epi8(0x0f));
}

struct w_q4_0 {
    static constexpr bool is_signed = false, has_min = true;
    static void load(const uint8_t * row, int64_t k, wblock & o) {
        const block_q4_0 & b = reinterpret_cast<const block_q4_0 *>(row)[k];
        o.u = nibbles(b.qs);
        const float d = simd::f16_at(&b.d);
        o.dw = _mm256_set1_ps(d);
        o.mw = -8.0f * d;
    }
};

struct w_q4_1 {
    static constexpr bool is_signed = false, has_min = true;
    static void load(const uint8_t * row, int64_t k, wblock & o) {
        const block_q4_1 & b = reinterpret_cast<const block_q4_1 *>(row)[k];
        o.u = nibbles(b.qs);
        o.dw = _mm256_set1_ps(simd::f16_at(&b.d));
        o.mw = simd::f16_at(&b.m);
    }
};

struct w_q8_0 {
    static constexpr bool is_signed = true, has_min = false;
    static void load(const uint8_t * row, int64_t k, wblock & o) {
        const block_q8_0 & b = reinterpret_cast<const block_q8_0 *>(row)[k];
        o.sg = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(b.qs));
        o.u = _mm256_abs_epi8(o.sg);
        o.dw = _mm256_set1_ps(simd::f16_at(&b.d));
    }
};

struct w_q4_k {
    static constexpr bool is_signed = false, has_min = true;
    static void load(const uint8_t * row, int64_t k, wblock & o) {
        const block_q4_k & b = reinterpret_cast<const block_q4_k *>(row)[k / 8];
        const int sub = int(k % 8);
        const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(b.qs + 32 * (sub / 2)));
        o.u = _mm256_and_si256(sub % 2 ? _mm256_srli_epi16(q, 4) : q, _mm256_set1_epi8(0x0f));
        int sc, m;
        q4_k_scale_min(b.scales, sub, sc, m);
        o.dw = _mm256_set1_ps(simd::f16_at(&b.d) * float(sc));
        o.mw = -simd::f16_at(&b.dmin) * float(m);
    }
};

struct w_q6_k {
    static constexpr bool is_signed = true, has_min = false;
    static void load(const uint8_t * row, int64_t k, wblock & o) {
        const block_q6_k & b = reinterpret_cast<const block_q6_k *>(row)[k / 8];
        const int sub = int(k % 8), half = sub / 4, quarter = sub % 4;
        __m256i ql = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(b.ql + 64 * half + 32 * (quarter % 2)));
        if (quarter >= 2) ql = _mm256_srli_epi16(ql, 4);
        const __m256i qh = _mm256_srli_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i *>(b.qh + 32 * half)),
                                             2 * quarter);
        const __m256i q = _mm256_or_si256(_mm256_and_si256(ql, _mm256_set1_epi8(0x0f)),
                                          _mm256_slli_epi16(_mm256_and_si256(qh, _mm256_set1_epi8(0x03)), 4));
        o.sg = _mm256_sub_epi8(q, _mm256_set1_epi8(32));
        o.u = _mm256_abs_epi8(o.sg);
        const float d = simd::f16_at(&b.d);
        const int8_t * sc = b.scales + 8 * half + 2 * quarter;
        o.dw = _mm256_setr_m128(_mm_set1_ps(d * float(sc[0])), _mm_set1_ps(d * float(sc[1])));
    }
};

template <class W, int T, int R>
void tile(const mm_problem & p, int64_t o0, int64_t t0) {
    const weight_view & w = *p.w;
    const size_t rb = row_bytes(uint32_t(w.type), w.n_in);
    const int64_t nb = w.n_in / 32;
    const uint8_t * rows[R];
    for (int r = 0; r < R; ++r) rows[r] = static_cast<const uint8_t *>(w.data) + size_t(o0 + r) * rb;
    const xblock * xs[T];
    for (int t = 0; t < T; ++t) xs[t] = reinterpret_cast<const xblock *>(p.xq + (t0 + t) * p.xq_stride);
    __m256 acc[T][R];
    float accm[T][R];
    for (int t = 0; t < T; ++t)
        for (int r = 0; r < R; ++r) acc[t][r] = _mm256_setzero_ps(), accm[t][r] = 0.0f;
    for (int64_t k = 0; k < nb; ++k) {
        wblock wb[R];
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r) W::load(rows[r], k, wb[r]);
#pragma GCC unroll 8
        for (int t = 0; t < T; ++t) {
            const xblock & x = xs[t][k];
            const __m256i xq = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(x.q));
            const __m256 dx = _mm256_set1_ps(x.d);
#pragma GCC unroll 8
            for (int r = 0; r < R; ++r) {
                const __m256i pi = W::is_signed ? simd::dot_u8s8(wb[r].u, _mm256_sign_epi8(xq, wb[r].sg))
                                                : simd::dot_u8s8(wb[r].u, xq);
                acc[t][r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(pi), _mm256_mul_ps(wb[r].dw, dx), acc[t][r]);
                if constexpr (W::has_min) accm[t][r] = accm[t][r] + wb[r].mw * x.s;
            }
        }
    }
    for (int t = 0; t < T; ++t)
        for (int r = 0; r < R; ++r) p.y[(t0 + t) * w.n_out + o0 + r] = simd::hsum(acc[t][r]) + accm[t][r];
}

template <class W, int R>
void tile_rows(const mm_problem & p, int64_t o0) {
    int64_t t = 0;
    for (; t + 4 <= p.n_tok; t += 4) tile<W, 4, R>(p, o0, t);
    switch (p.n_tok - t) {
    case 1: tile<W, 1, R>(p, o0, t); break;
    case 2: tile<W, 2, R>(p, o0, t); break;
    case 3: tile<W, 3, R>(p, o0, t); break;
    default: break;
    }
}

template <class W>
void rows_quant(const mm_problem & p, int64_t r0, int64_t r1) {
    int64_t o = r0;
    for (; o + 2 <= r1; o += 2) tile_rows<W, 2>(p, o);
    for (; o < r1; ++o) tile_rows<W, 1>(p, o);
}

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

template <class W>
mm_kernel quant_kernel() {
    return {xq_bytes, quantize, rows_quant<W>};
}

}  // namespace

mm_kernel mm_kernel_avx2(dtype t) {
    switch (t) {
    case dtype::f32: return {nullptr, nullptr, rows_float<dtype::f32>};
    case dtype::f16: return {nullptr, nullptr, rows_float<dtype::f16>};
    case dtype::bf16: return {nullptr, nullptr, rows_float<dtype::bf16>};
    case dtype::q4_0: return quant_kernel<w_q4_0>();
    case dtype::q4_1: return quant_kernel<w_q4_1>();
    case dtype::q8_0: return quant_kernel<w_q8_0>();
    case dtype::q4_k: return quant_kernel<w_q4_k>();
    case dtype::q6_k: return quant_kernel<w_q6_k>();
    default: return {};
    }
}

}  // namespace tts::kernels::cpu
