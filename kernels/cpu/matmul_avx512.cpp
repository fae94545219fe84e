// matmul_avx512: AVX-512 VNNI kernels (vpdpbusd) for Q4_0, Q4_1, Q8_0, Q4_K, Q6_K and floats.
//
// Activations are quantised per 64 values (two blocks of 32) into xgroup: 64 int8 in the
// weight type's lane order, plus per 32-bit lane its block scale dx, an int32 bias and the
// min-term weight s (see quantize()). One weight group of 64 values is unpacked into a zmm
// (u8 or s8) with per-lane scales dw (and mins mw), then for every token of the tile:
//   p   = dpbusd(bias, u8 operand, s8 operand)          // 16 int32 partial dots
//   acc = fma(cvt(p), dw * dx, acc); acc = fma(mw, s, acc)   // the last only for min types
// The tile (T tokens x R rows) only changes how often weights are unpacked, never the
// operations applied to one (token, row) accumulator, so results are batch invariant.
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/cpu/blocks.h"
#include "kernels/cpu/matmul_kernels.h"
#include "kernels/cpu/simd.h"

namespace tts::kernels::cpu {

namespace {

struct alignas(64) xgroup {
    int8_t q[64];      // quantised values (xor 0x80 when the weight operand is signed)
    float dx[16];      // scale of the block each lane belongs to (0 for padding)
    int32_t bias[16];  // -K * (sum of the lane's 4 values) for weights stored with offset K
    float s[16];       // dx * sum(block) / 8: the 8 lanes of a block add up to the min term
};

// How a weight type wants its activations laid out.
struct xformat {
    bool interleaved;   // q4-style [A0..15, B0..15, A16..31, B16..31] instead of [A, B]
    bool x_unsigned;    // store q + 128 (weights are the signed operand)
    int bias_k;         // weight offset folded into bias
};

// After the ng groups: per block b its min-term weight dx * sum(block) (floats, zero padded to 16),
// read by types that hoist the min term out of the group loop (hoist_min).
inline int64_t n_groups(int64_t n_in) { return (n_in / 32 + 1) / 2; }
inline int64_t sblk_floats(int64_t n_in) { return (2 * n_groups(n_in) + 15) / 16 * 16; }
size_t xq_bytes(int64_t n_in) { return size_t(n_groups(n_in)) * sizeof(xgroup) + size_t(sblk_floats(n_in)) * 4; }

// One block of 32: returns the scale, writes q, returns sum through *sum.
float quantize_block(const float * x, int8_t * q, int * sum) {
    __m512 a = _mm512_loadu_ps(x), b = _mm512_loadu_ps(x + 16);
    const float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(a), _mm512_abs_ps(b)));
    const float id = amax > 0 ? 127.0f / amax : 0.0f;
    const __m512i qa = _mm512_cvtps_epi32(_mm512_mul_ps(a, _mm512_set1_ps(id)));   // round to nearest even
    const __m512i qb = _mm512_cvtps_epi32(_mm512_mul_ps(b, _mm512_set1_ps(id)));
    _mm_storeu_si128(reinterpret_cast<__m128i *>(q), _mm512_cvtepi32_epi8(qa));
    _mm_storeu_si128(reinterpret_cast<__m128i *>(q + 16), _mm512_cvtepi32_epi8(qb));
    *sum = _mm512_reduce_add_epi32(_mm512_add_epi32(qa, qb));
    return amax / 127.0f;
}

template <xformat F>
void quantize(const float * x, int64_t n_in, uint8_t * out) {
    xgroup * g = reinterpret_cast<xgroup *>(out);
    const int64_t nb = n_in / 32;
    float * sblk = reinterpret_cast<float *>(g + n_groups(n_in));
    for (int64_t i = 2 * n_groups(n_in); i < sblk_floats(n_in); ++i) sblk[i] = 0.0f;
    for (int64_t i = 0; i < (nb + 1) / 2; ++i) {
        int8_t qa[32], qb[32] = {};
        int sa = 0, sb = 0;
        const float da = quantize_block(x + 64 * i, qa, &sa);
        const float db = 2 * i + 1 < nb ? quantize_block(x + 64 * i + 32, qb, &sb) : 0.0f;
        xgroup & o = g[i];
        sblk[2 * i] = da * float(sa);
        sblk[2 * i + 1] = db * float(sb);
        if (F.interleaved) {
            std::memcpy(o.q, qa, 16);
            std::memcpy(o.q + 16, qb, 16);
            std::memcpy(o.q + 32, qa + 16, 16);
            std::memcpy(o.q + 48, qb + 16, 16);
        } else {
            std::memcpy(o.q, qa, 32);
            std::memcpy(o.q + 32, qb, 32);
        }
        for (int l = 0; l < 16; ++l) {
            const bool in_a = F.interleaved ? (l / 4) % 2 == 0 : l < 8;
            o.dx[l] = in_a ? da : db;
            o.s[l] = in_a ? da * float(sa) / 8.0f : db * float(sb) / 8.0f;
            o.bias[l] = -F.bias_k * (o.q[4 * l] + o.q[4 * l + 1] + o.q[4 * l + 2] + o.q[4 * l + 3]);
        }
        if (F.x_unsigned) {
            for (int8_t & v : o.q) v = int8_t(uint8_t(v) ^ 0x80);
        }
    }
}

// ---- weight groups: unpack 64 values of row `row` at group g into w, dw, mw, wb ----------

struct wgroup {
    __m512i w;    // u8 values (or s8 for q8_0)
    __m512 dw;    // per-lane weight scale
    __m512 mw;    // per-lane min (min types only)
    __m512i wb;   // per-lane bias from the weights (q8_0 only)
    __m128 dm;    // (d_a, m_a, d_b, m_b) (hoist_min types only)
};

inline __m512i nibbles_interleaved(const uint8_t * qa, const uint8_t * qb) {
    const __m256i q = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)qa)),
                                              _mm_loadu_si128((const __m128i *)qb), 1);
    const __m512i both = _mm512_inserti64x4(_mm512_castsi256_si512(q), _mm256_srli_epi16(q, 4), 1);
    return _mm512_and_si512(both, _mm512_set1_epi8(0x0f));
}

inline __m512 lanes_of4(__m128 v, const __m512i idx) { return _mm512_permutexvar_ps(idx, _mm512_castps128_ps512(v)); }

struct w_q4_0 {
    static constexpr xformat fmt{true, false, 8};
    static constexpr bool has_min = false, has_wb = false, hoist_min = false;
    static void load(const uint8_t * row, int64_t g, int64_t nb, wgroup & o) {
        const block_q4_0 * a = reinterpret_cast<const block_q4_0 *>(row) + 2 * g;
        const block_q4_0 * b = 2 * g + 1 < nb ? a + 1 : a;
        o.w = nibbles_interleaved(a->qs, b->qs);
        const __m128 d = _mm_cvtph_ps(_mm_setr_epi16(short(a->d), short(b->d), 0, 0, 0, 0, 0, 0));
        o.dw = lanes_of4(d, _mm512_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1));
    }
};

struct w_q4_1 {
    static constexpr xformat fmt{true, false, 0};
    // The min term sum_b m_b * dx_b * sum(block b) is not applied per group: the tile collects
    // the row's m_b and adds them with one 16-lane fma per 16 blocks after the group loop.
    static constexpr bool has_min = false, has_wb = false, hoist_min = true;
    static void load(const uint8_t * row, int64_t g, int64_t nb, wgroup & o) {
        const block_q4_1 * a = reinterpret_cast<const block_q4_1 *>(row) + 2 * g;
        const block_q4_1 * b = 2 * g + 1 < nb ? a + 1 : a;
        o.w = nibbles_interleaved(a->qs, b->qs);
        int32_t dma, dmb;
        std::memcpy(&dma, a, 4);
        std::memcpy(&dmb, b, 4);
        o.dm = _mm_cvtph_ps(_mm_insert_epi32(_mm_cvtsi32_si128(dma), dmb, 1));
        o.dw = lanes_of4(o.dm, _mm512_setr_epi32(0, 0, 0, 0, 2, 2, 2, 2, 0, 0, 0, 0, 2, 2, 2, 2));
    }
};

struct w_q8_0 {
    static constexpr xformat fmt{false, true, 0};
    static constexpr bool has_min = false, has_wb = true, hoist_min = false;
    static void load(const uint8_t * row, int64_t g, int64_t nb, wgroup & o) {
        const block_q8_0 * a = reinterpret_cast<const block_q8_0 *>(row) + 2 * g;
        const block_q8_0 * b = 2 * g + 1 < nb ? a + 1 : a;
        o.w = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)a->qs)),
                                 _mm256_loadu_si256((const __m256i *)b->qs), 1);
        const __m128 d = _mm_cvtph_ps(_mm_setr_epi16(short(a->d), short(b->d), 0, 0, 0, 0, 0, 0));
        o.dw = lanes_of4(d, _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1));
        // (q + 128) . w = q . w + 128 * sum(w): start each lane at -128 * sum of its 4 weights.
        o.wb = _mm512_sub_epi32(_mm512_setzero_si512(),
                                _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_set1_epi8(char(0x80)), o.w));
    }
};

struct w_q4_k {
    static constexpr xformat fmt{false, false, 0};
    static constexpr bool has_min = true, has_wb = false, hoist_min = false;
    static void load(const uint8_t * row, int64_t g, int64_t, wgroup & o) {
        const block_q4_k & b = reinterpret_cast<const block_q4_k *>(row)[g / 4];
        const int c = int(g % 4);
        const __m256i q = _mm256_loadu_si256((const __m256i *)(b.qs + 32 * c));
        o.w = _mm512_and_si512(_mm512_inserti64x4(_mm512_castsi256_si512(q), _mm256_srli_epi16(q, 4), 1),
                               _mm512_set1_epi8(0x0f));
        int sc0, m0, sc1, m1;
        q4_k_scale_min(b.scales, 2 * c, sc0, m0);
        q4_k_scale_min(b.scales, 2 * c + 1, sc1, m1);
        const float d = simd::f16_at(&b.d), dmin = simd::f16_at(&b.dmin);
        o.dw = _mm512_mask_blend_ps(0xff00, _mm512_set1_ps(d * float(sc0)), _mm512_set1_ps(d * float(sc1)));
        o.mw = _mm512_mask_blend_ps(0xff00, _mm512_set1_ps(-dmin * float(m0)), _mm512_set1_ps(-dmin * float(m1)));
    }
};

struct w_q6_k {
    static constexpr xformat fmt{false, false, 32};
    static constexpr bool has_min = false, has_wb = false, hoist_min = false;
    static void load(const uint8_t * row, int64_t g, int64_t, wgroup & o) {
        const block_q6_k & b = reinterpret_cast<const block_q6_k *>(row)[g / 4];
        const int c = int(g % 4), half = c / 2, hi_nib = c % 2;   // values 64c .. 64c+63
        const __m512i m4 = _mm512_set1_epi8(0x0f), m2 = _mm512_set1_epi8(0x03);
        __m512i ql = _mm512_loadu_si512(b.ql + 64 * half);
        if (hi_nib) ql = _mm512_srli_epi16(ql, 4);
        const __m256i qh = _mm256_srli_epi16(_mm256_loadu_si256((const __m256i *)(b.qh + 32 * half)), 4 * hi_nib);
        const __m512i qh2 = _mm512_inserti64x4(_mm512_castsi256_si512(qh), _mm256_srli_epi16(qh, 2), 1);
        o.w = _mm512_or_si512(_mm512_and_si512(ql, m4), _mm512_slli_epi16(_mm512_and_si512(qh2, m2), 4));
        int32_t sc4;
        std::memcpy(&sc4, b.scales + 8 * half + 4 * hi_nib, 4);
        const __m128i sc = _mm_cvtepi8_epi32(_mm_cvtsi32_si128(sc4));
        const __m128 dsc = _mm_mul_ps(_mm_cvtepi32_ps(sc), _mm_set1_ps(simd::f16_at(&b.d)));
        o.dw = lanes_of4(dsc, _mm512_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3));
    }
};

// ---- the tile: T tokens x R rows, all groups ----------------------------------------------

template <class W, int T, int R>
void tile(const mm_problem & p, int64_t o0, int64_t t0) {
    const weight_view & w = *p.w;
    const size_t rb = row_bytes(uint32_t(w.type), w.n_in);
    const int64_t nb = w.n_in / 32, ng = (nb + 1) / 2;
    const uint8_t * rows[R];
    for (int r = 0; r < R; ++r) rows[r] = static_cast<const uint8_t *>(w.data) + size_t(o0 + r) * rb;
    const xgroup * xs[T];
    for (int t = 0; t < T; ++t) xs[t] = reinterpret_cast<const xgroup *>(p.xq + (t0 + t) * p.xq_stride);

    __m512 acc[T][R];
#pragma GCC unroll 8
    for (int t = 0; t < T; ++t)
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r) acc[t][r] = _mm512_setzero_ps();

    // hoist_min: the m of up to k_chunk groups per row are collected in mbuf, then applied.
    constexpr int64_t k_chunk = 256;
    alignas(64) float mbuf[W::hoist_min ? R : 1][W::hoist_min ? 2 * k_chunk : 16];
    for (int64_t g0 = 0; g0 < ng; g0 += k_chunk) {
    const int64_t g1 = std::min(ng, g0 + k_chunk);
    for (int64_t g = g0; g < g1; ++g) {
        wgroup wg[R];
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r) W::load(rows[r], g, nb, wg[r]);
        if constexpr (W::hoist_min) {
#pragma GCC unroll 8
            for (int r = 0; r < R; ++r)
                _mm_storel_pi(reinterpret_cast<__m64 *>(&mbuf[r][2 * (g - g0)]),
                              _mm_shuffle_ps(wg[r].dm, wg[r].dm, _MM_SHUFFLE(3, 1, 3, 1)));
        }
#pragma GCC unroll 8
        for (int t = 0; t < T; ++t) {
            const xgroup & x = xs[t][g];
            const __m512i xq = _mm512_load_si512(x.q);
            const __m512 dx = _mm512_load_ps(x.dx);
            const __m512i bias = W::fmt.bias_k ? _mm512_load_si512(x.bias) : _mm512_setzero_si512();
#pragma GCC unroll 8
            for (int r = 0; r < R; ++r) {
                __m512i pi;
                if constexpr (W::has_wb) pi = _mm512_dpbusd_epi32(wg[r].wb, xq, wg[r].w);
                else pi = _mm512_dpbusd_epi32(bias, wg[r].w, xq);
                acc[t][r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(pi), _mm512_mul_ps(wg[r].dw, dx), acc[t][r]);
                if constexpr (W::has_min) acc[t][r] = _mm512_fmadd_ps(wg[r].mw, _mm512_load_ps(x.s), acc[t][r]);
            }
        }
    }
    if constexpr (W::hoist_min) {   // one fma per (token, row) per 16 blocks
        const int64_t n = 2 * (g1 - g0);
        for (int64_t c = 0; c < n; c += 16) {
            const __mmask16 k = n - c >= 16 ? __mmask16(0xffff) : __mmask16((1u << (n - c)) - 1);
            __m512 mv[R];
#pragma GCC unroll 8
            for (int r = 0; r < R; ++r) mv[r] = _mm512_maskz_loadu_ps(k, &mbuf[r][c]);
#pragma GCC unroll 8
            for (int t = 0; t < T; ++t) {
                const __m512 sv = _mm512_maskz_loadu_ps(k, reinterpret_cast<const float *>(xs[t] + ng) + 2 * g0 + c);
#pragma GCC unroll 8
                for (int r = 0; r < R; ++r) acc[t][r] = _mm512_fmadd_ps(mv[r], sv, acc[t][r]);
            }
        }
    }
    }
#pragma GCC unroll 8
    for (int t = 0; t < T; ++t)
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r) p.y[(t0 + t) * w.n_out + o0 + r] = simd::hsum(acc[t][r]);
}

// 8 tokens x 2 rows = 16 accumulators: one weight unpack serves 8 dot products per row.
constexpr int k_tile_r = 2;   // weight rows per tile

template <class W, int R>
void tile_rows(const mm_problem & p, int64_t o0) {
    int64_t t = 0;
    for (; t + 8 <= p.n_tok; t += 8) tile<W, 8, R>(p, o0, t);
    switch (p.n_tok - t) {
    case 1: tile<W, 1, R>(p, o0, t); break;
    case 2: tile<W, 2, R>(p, o0, t); break;
    case 3: tile<W, 3, R>(p, o0, t); break;
    case 4: tile<W, 4, R>(p, o0, t); break;
    case 5: tile<W, 5, R>(p, o0, t); break;
    case 6: tile<W, 6, R>(p, o0, t); break;
    case 7: tile<W, 7, R>(p, o0, t); break;
    default: break;
    }
}

template <class W>
void rows_quant(const mm_problem & p, int64_t r0, int64_t r1) {
    int64_t o = r0;
    for (; o + k_tile_r <= r1; o += k_tile_r) tile_rows<W, k_tile_r>(p, o);
    for (; o < r1; ++o) tile_rows<W, 1>(p, o);
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

template <class W>
mm_kernel quant_kernel() {
    return {xq_bytes, quantize<W::fmt>, rows_quant<W>};
}

}  // namespace

mm_kernel mm_kernel_avx512(dtype t) {
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
