// matmul_avx2_q: AVX2 kernels (vpmaddubsw + vpmaddwd) for every quantised weight type,
// computing matmul_format.h's exact integers and float steps (so the scalar level's bits).
//
// Tiles of 4 weight rows: a scale block of each row is unpacked once and kept (in registers
// for 32-value types, in a small L1 buffer for K super-blocks) while every token of the call
// is dotted with it; 8-lane integer vectors are folded into one lane per (token, row) and the
// f32 accumulators (4 rows of every token) live in a per-thread buffer between blocks.
// vpmaddubsw sums pairs of u8 * s8 in int16: weights are at most 63 (|w| <= 128 for Q8_0,
// whose sign moves onto x), activations at most 127, so pairs stay below 32767.
#include <immintrin.h>

#include <algorithm>
#include <vector>

#include "kernels/cpu/blocks.h"
#include "kernels/cpu/matmul_format.h"
#include "kernels/cpu/matmul_kernels.h"

namespace tts::kernels::cpu {

namespace {

inline int32_t load_i32(const void * p) {
    int32_t v;
    __builtin_memcpy(&v, p, 4);
    return v;
}
inline uint16_t load_u16(const void * p) {
    uint16_t v;
    __builtin_memcpy(&v, p, 2);
    return v;
}

// Per 128-bit lane [a0+a2, b0+b2, a1+a3, b1+b3]; two rounds give [a, b, c, d] lane totals.
inline __m256i fold32(__m256i a, __m256i b) {
    return _mm256_add_epi32(_mm256_unpacklo_epi32(a, b), _mm256_unpackhi_epi32(a, b));
}
inline __m256i fold64(__m256i a, __m256i b) {
    return _mm256_add_epi32(_mm256_unpacklo_epi64(a, b), _mm256_unpackhi_epi64(a, b));
}
// Per 128-bit lane: lane i = sum of that half of v[i].
inline __m256i fold4(const __m256i v[4]) { return fold64(fold32(v[0], v[1]), fold32(v[2], v[3])); }
// out lane i = sum of all 8 lanes of v[i].
inline __m256i reduce8(const __m256i v[8]) {
    const __m256i a = fold4(v), b = fold4(v + 4);
    return _mm256_add_epi32(_mm256_permute2x128_si256(a, b, 0x20), _mm256_permute2x128_si256(a, b, 0x31));
}

inline __m256i dot_u8s8(__m256i u, __m256i s) { return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1)); }

// 32 bits -> 32 bytes: byte i = 16 where bit i is set.
inline __m256i bits_to_16(uint32_t m) {
    const __m256i shuf = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3,
                                          3, 3, 3, 3, 3, 3);
    const __m256i bit = _mm256_set1_epi64x(0x8040201008040201);
    const __m256i v = _mm256_shuffle_epi8(_mm256_set1_epi32(int(m)), shuf);
    return _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(v, bit), bit), _mm256_set1_epi8(16));
}

// ---- 32-value block types: a group of 64 values = blocks A, B as two ymm in pairs32 order ----

template <dtype T> struct wq;

inline void nibbles_pairs(const uint8_t * qa, const uint8_t * qb, __m256i w[2]) {
    const __m256i q = _mm256_loadu2_m128i((const __m128i *)qb, (const __m128i *)qa);
    w[0] = _mm256_and_si256(q, _mm256_set1_epi8(0x0f));                       // A0..15 B0..15
    w[1] = _mm256_and_si256(_mm256_srli_epi16(q, 4), _mm256_set1_epi8(0x0f));  // A16..31 B16..31
}

inline void high_bits(const uint8_t * qha, const uint8_t * qhb, __m256i w[2]) {
    const uint32_t a = uint32_t(load_i32(qha)), b = uint32_t(load_i32(qhb));
    w[0] = _mm256_or_si256(w[0], bits_to_16((a & 0xffffu) | (b << 16)));
    w[1] = _mm256_or_si256(w[1], bits_to_16((a >> 16) | (b & 0xffff0000u)));
}

template <> struct wq<dtype::q4_0> {
    static constexpr int bb = 18;
    static constexpr bool has_min = false, is_signed = false;
    static void load(const uint8_t * a, const uint8_t * b, __m256i w[2]) { nibbles_pairs(a + 2, b + 2, w); }
};
template <> struct wq<dtype::q4_1> {
    static constexpr int bb = 20;
    static constexpr bool has_min = true, is_signed = false;
    static void load(const uint8_t * a, const uint8_t * b, __m256i w[2]) { nibbles_pairs(a + 4, b + 4, w); }
};
template <> struct wq<dtype::q5_0> {
    static constexpr int bb = 22;
    static constexpr bool has_min = false, is_signed = false;
    static void load(const uint8_t * a, const uint8_t * b, __m256i w[2]) {
        nibbles_pairs(a + 6, b + 6, w);
        high_bits(a + 2, b + 2, w);
    }
};
template <> struct wq<dtype::q5_1> {
    static constexpr int bb = 24;
    static constexpr bool has_min = true, is_signed = false;
    static void load(const uint8_t * a, const uint8_t * b, __m256i w[2]) {
        nibbles_pairs(a + 8, b + 8, w);
        high_bits(a + 4, b + 4, w);
    }
};
template <> struct wq<dtype::q8_0> {   // signed: the dot is |w| . sign(x, w), exact without K
    static constexpr int bb = 34;
    static constexpr bool has_min = false, is_signed = true;
    static void load(const uint8_t * a, const uint8_t * b, __m256i w[2]) {
        w[0] = _mm256_loadu2_m128i((const __m128i *)(b + 2), (const __m128i *)(a + 2));
        w[1] = _mm256_loadu2_m128i((const __m128i *)(b + 18), (const __m128i *)(a + 18));
    }
};

struct tile_ctx {
    const mm_problem * p;
    xq_layout l;
    const uint8_t * rows;   // first of the tile's rows
    size_t rb;
    int nv;                 // valid rows (<= 4)
    int64_t o0;
    __m128 * facc;          // [n_tok] accumulators of the tile's 4 rows
};

// 16-bit words at byte `off` of block b of the 4 rows (rows >= nv repeat the last).
inline __m128 row_f16(const uint8_t * const rp[4], size_t off) {
    return _mm_cvtph_ps(_mm_setr_epi16(short(load_u16(rp[0] + off)), short(load_u16(rp[1] + off)),
                                       short(load_u16(rp[2] + off)), short(load_u16(rp[3] + off)), 0, 0, 0, 0));
}

// Tokens [t0, t0 + NT) (NT > 0: accumulators in registers) or all tokens (NT == 0: in c.facc).
template <dtype T, int NT>
void tile_q32(const tile_ctx & c, int64_t t0) {
    using W = wq<T>;
    constexpr xq_type f = xq_type_of(T);
    const mm_problem & p = *c.p;
    const int64_t nb = p.w->n_in / 32, ng = (nb + 1) / 2;
    const int64_t t1 = NT ? t0 + NT : p.n_tok;
    const uint8_t * rp[4];
    for (int r = 0; r < 4; ++r) rp[r] = c.rows + size_t(std::min(r, c.nv - 1)) * c.rb;
    __m128 racc[NT ? NT : 1];
#pragma GCC unroll 2
    for (int i = 0; i < (NT ? NT : 1); ++i) racc[i] = _mm_setzero_ps();
    if (!NT) for (int64_t t = 0; t < p.n_tok; ++t) c.facc[t] = _mm_setzero_ps();
    for (int64_t g = 0; g < ng; ++g) {
        const bool has_b = 2 * g + 1 < nb;
        const size_t ba = size_t(2 * g) * W::bb, bb = has_b ? ba + W::bb : ba;
        __m256i w[4][2];
#pragma GCC unroll 4
        for (int r = 0; r < 4; ++r) W::load(rp[r] + ba, rp[r] + bb, w[r]);
        const __m128 da = row_f16(rp, ba), db = row_f16(rp, bb);
        __m128 ma = _mm_setzero_ps(), mb = _mm_setzero_ps();
        if constexpr (W::has_min) ma = row_f16(rp, ba + 2), mb = row_f16(rp, bb + 2);
#pragma GCC unroll 2
        for (int64_t t = t0; t < t1; ++t) {
            const uint8_t * xr = p.xq + t * p.xq_stride;
            const __m256i x0 = _mm256_load_si256((const __m256i *)(xr + 64 * g));
            const __m256i x1 = _mm256_load_si256((const __m256i *)(xr + 64 * g + 32));
            __m256i v[4];
#pragma GCC unroll 4
            for (int r = 0; r < 4; ++r) {
                if constexpr (W::is_signed) {
                    v[r] = _mm256_add_epi32(dot_u8s8(_mm256_abs_epi8(w[r][0]), _mm256_sign_epi8(x0, w[r][0])),
                                            dot_u8s8(_mm256_abs_epi8(w[r][1]), _mm256_sign_epi8(x1, w[r][1])));
                } else {
                    v[r] = _mm256_add_epi32(dot_u8s8(w[r][0], x0), dot_u8s8(w[r][1], x1));
                }
            }
            __m256i tot = fold4(v);   // lanes 0-3: block A of rows 0-3, lanes 4-7: block B
            const float * dx = reinterpret_cast<const float *>(xr + c.l.off_dx) + 2 * g;
            if constexpr (f.offset != 0 && !W::is_signed) {
                const int32_t * nbx = reinterpret_cast<const int32_t *>(xr + c.l.off_nb) + 2 * g;
                tot = _mm256_add_epi32(tot, _mm256_setr_m128i(_mm_set1_epi32(nbx[0]), _mm_set1_epi32(has_b ? nbx[1] : 0)));
            }
            const __m256 fv = _mm256_cvtepi32_ps(tot);
            __m128 acc = NT ? racc[NT ? t - t0 : 0] : c.facc[t];
            acc = _mm_fmadd_ps(_mm256_castps256_ps128(fv), _mm_mul_ps(da, _mm_set1_ps(dx[0])), acc);
            if constexpr (f.has_s) {
                const float * s = reinterpret_cast<const float *>(xr + c.l.off_s) + 2 * g;
                acc = _mm_fmadd_ps(ma, _mm_set1_ps(s[0]), acc);
                if (has_b) {
                    acc = _mm_fmadd_ps(_mm256_extractf128_ps(fv, 1), _mm_mul_ps(db, _mm_set1_ps(dx[1])), acc);
                    acc = _mm_fmadd_ps(mb, _mm_set1_ps(s[1]), acc);
                }
            } else if (has_b) {
                acc = _mm_fmadd_ps(_mm256_extractf128_ps(fv, 1), _mm_mul_ps(db, _mm_set1_ps(dx[1])), acc);
            }
            if (NT) racc[NT ? t - t0 : 0] = acc;
            else c.facc[t] = acc;
        }
    }
    for (int i = 0; i < NT; ++i) c.facc[t0 + i] = racc[i];
}

// ---- K-quants: a super-block of a row as 8 ymm of u8 values + int16 multipliers ---------

struct ksb {
    __m256i w[8];    // sub-block pair / sub-block j: 32 values in the activation's order
    __m256i mul[8];  // int16 scale of each value pair
    __m256i sc2;     // Q6_K: 2 * scale of each of the 16 sub-blocks
    __m128i mn;      // Q4_K/Q5_K: the 8 mins
    float d, ndmin;
};

inline float f16(uint16_t h) { return _cvtsh_ss(h); }

// Q4_K / Q5_K: w[s] = storage slot s of the k4pairs order (sub-block k_slot[s]).
template <bool five>
void unpack_k45(const uint8_t * b, ksb & o) {
    const uint8_t * qs = b + (five ? 48 : 16);
    uint64_t sc8, mn8;
    q4_k_scales_mins(b + 4, sc8, mn8);
    // int16 scales in every 128-bit lane; pshufb spreads scale j over all 16 lanes.
    const __m256i sc16 = _mm256_broadcastsi128_si256(_mm_cvtepu8_epi16(_mm_cvtsi64_si128(int64_t(sc8))));
    const __m256i h = five ? _mm256_loadu_si256((const __m256i *)(b + 16)) : _mm256_setzero_si256();
#pragma GCC unroll 4
    for (int c = 0; c < 4; ++c) {   // qs[32c..32c+32): sub-blocks 2c (low nibbles), 2c+1 (high)
        const __m256i q = _mm256_loadu_si256((const __m256i *)(qs + 32 * c));
        __m256i lo = _mm256_and_si256(q, _mm256_set1_epi8(0x0f));
        __m256i hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), _mm256_set1_epi8(0x0f));
        if constexpr (five) {
            const __m256i blo = _mm256_set1_epi8(char(1 << (2 * c))), bhi = _mm256_set1_epi8(char(2 << (2 * c)));
            lo = _mm256_or_si256(lo, _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(h, blo), blo), _mm256_set1_epi8(16)));
            hi = _mm256_or_si256(hi, _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(h, bhi), bhi), _mm256_set1_epi8(16)));
        }
        // Sub-block 2c sits in slot 2c when c is even... the k4pairs slots: 0 2 1 3 | 4 6 5 7.
        constexpr int slot_of[8] = {0, 2, 1, 3, 4, 6, 5, 7};
        o.w[slot_of[2 * c]] = lo;
        o.w[slot_of[2 * c + 1]] = hi;
        o.mul[slot_of[2 * c]] = _mm256_shuffle_epi8(sc16, _mm256_set1_epi16(short(0x0100 + 0x0202 * (2 * c))));
        o.mul[slot_of[2 * c + 1]] = _mm256_shuffle_epi8(sc16, _mm256_set1_epi16(short(0x0100 + 0x0202 * (2 * c + 1))));
    }
    o.mn = _mm_cvtepu8_epi16(_mm_cvtsi64_si128(int64_t(mn8)));
    o.d = f16(load_u16(b));
    o.ndmin = -f16(load_u16(b + 2));
}

void unpack_k6(const uint8_t * b, ksb & o) {
    const block_q6_k & k = *reinterpret_cast<const block_q6_k *>(b);
#pragma GCC unroll 2
    for (int h = 0; h < 2; ++h) {
        const __m256i qh = _mm256_loadu_si256((const __m256i *)(k.qh + 32 * h));
#pragma GCC unroll 4
        for (int q = 0; q < 4; ++q) {   // 32 values 128h + 32q: sub-blocks 8h + 2q, 8h + 2q + 1
            __m256i lo = _mm256_loadu_si256((const __m256i *)(k.ql + 64 * h + 32 * (q % 2)));
            if (q >= 2) lo = _mm256_srli_epi16(lo, 4);
            lo = _mm256_and_si256(lo, _mm256_set1_epi8(0x0f));
            const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(qh, 2 * q), _mm256_set1_epi8(0x03));
            o.w[4 * h + q] = _mm256_or_si256(lo, _mm256_slli_epi16(hi, 4));
            const int j = 8 * h + 2 * q;
            o.mul[4 * h + q] = _mm256_setr_m128i(_mm_set1_epi16(k.scales[j]), _mm_set1_epi16(k.scales[j + 1]));
        }
    }
    o.sc2 = _mm256_slli_epi16(_mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)k.scales)), 1);
    o.d = f16(k.d);
    o.ndmin = 0;
}

template <dtype T>
void tile_k(const tile_ctx & c) {
    constexpr bool has_min = T != dtype::q6_k;
    const mm_problem & p = *c.p;
    const int64_t n_sb = p.w->n_in / 256;
    constexpr size_t bbk = T == dtype::q4_k ? 144 : T == dtype::q5_k ? 176 : 210;
    for (int64_t t = 0; t < p.n_tok; ++t) c.facc[t] = _mm_setzero_ps();
    alignas(32) ksb k[4];
    for (int64_t sb = 0; sb < n_sb; ++sb) {
#pragma GCC unroll 4
        for (int r = 0; r < 4; ++r) {
            const uint8_t * b = c.rows + size_t(std::min(r, c.nv - 1)) * c.rb + size_t(sb) * bbk;
            if constexpr (T == dtype::q6_k) unpack_k6(b, k[r]);
            else unpack_k45<T == dtype::q5_k>(b, k[r]);
        }
        const __m128 d = _mm_setr_ps(k[0].d, k[1].d, k[2].d, k[3].d);
        const __m128 ndmin = _mm_setr_ps(k[0].ndmin, k[1].ndmin, k[2].ndmin, k[3].ndmin);
        for (int64_t t = 0; t < p.n_tok; ++t) {
            const uint8_t * xr = p.xq + t * p.xq_stride;
            const uint8_t * xq = xr + 256 * sb;
            const int16_t * bs = reinterpret_cast<const int16_t *>(xr + c.l.off_bs) + (has_min ? 8 : 16) * sb;
            __m256i v[4];
#pragma GCC unroll 4
            for (int r = 0; r < 4; ++r) {
                __m256i a = _mm256_setzero_si256();
                if constexpr (!has_min) {
                    const __m256i nb16 = _mm256_mullo_epi16(_mm256_loadu_si256((const __m256i *)bs), _mm256_set1_epi16(-16));
                    a = _mm256_madd_epi16(k[r].sc2, nb16);
                }
#pragma GCC unroll 8
                for (int s = 0; s < 8; ++s) {
                    const __m256i xv = _mm256_load_si256((const __m256i *)(xq + 32 * s));
                    a = _mm256_add_epi32(a, _mm256_madd_epi16(_mm256_maddubs_epi16(k[r].w[s], xv), k[r].mul[s]));
                }
                v[r] = a;
            }
            const __m256i t4 = fold4(v);   // per 128-bit half: the 4 rows' partial totals
            const __m128i isum = _mm_add_epi32(_mm256_castsi256_si128(t4), _mm256_extracti128_si256(t4, 1));
            const __m128 dx = _mm_set1_ps(reinterpret_cast<const float *>(xr + c.l.off_dx)[sb]);
            __m128 acc = _mm_fmadd_ps(_mm_cvtepi32_ps(isum), _mm_mul_ps(d, dx), c.facc[t]);
            if constexpr (has_min) {
                const __m128i b8 = _mm_loadu_si128((const __m128i *)bs);
                const __m256i m01 = _mm256_madd_epi16(_mm256_setr_m128i(k[0].mn, k[1].mn), _mm256_setr_m128i(b8, b8));
                const __m256i m23 = _mm256_madd_epi16(_mm256_setr_m128i(k[2].mn, k[3].mn), _mm256_setr_m128i(b8, b8));
                // lanes [r0 x4 | r1 x4], [r2 x4 | r3 x4] -> totals of rows 0..3
                const __m256i h = _mm256_hadd_epi32(m01, m23);   // [r0 r0 r2 r2 | r1 r1 r3 r3]
                const __m256i h2 = _mm256_hadd_epi32(h, h);       // [r0 r2 r0 r2 | r1 r3 r1 r3]
                const __m128i im = _mm_unpacklo_epi32(_mm256_castsi256_si128(h2), _mm256_extracti128_si256(h2, 1));
                acc = _mm_fmadd_ps(_mm_cvtepi32_ps(im), _mm_mul_ps(ndmin, dx), acc);
            }
            c.facc[t] = acc;
        }
    }
}

template <dtype T>
void rows(const mm_problem & p, int64_t r0, int64_t r1) {
    static thread_local std::vector<__m128> facc;
    if (facc.size() < size_t(p.n_tok)) facc.resize(size_t(p.n_tok));
    tile_ctx c{};
    c.p = &p;
    c.l = xq_layout_of(T, p.w->n_in);
    c.rb = row_bytes(uint32_t(T), p.w->n_in);
    c.facc = facc.data();
    for (int64_t o0 = r0; o0 < r1; o0 += 4) {
        c.o0 = o0;
        c.nv = int(std::min<int64_t>(4, r1 - o0));
        c.rows = static_cast<const uint8_t *>(p.w->data) + size_t(o0) * c.rb;
        if constexpr (xq_type_of(T).blk == 32) {
            if (p.n_tok == 1) tile_q32<T, 1>(c, 0);
            else if (p.n_tok == 2) tile_q32<T, 2>(c, 0);
            else tile_q32<T, 0>(c, 0);
        } else {
            tile_k<T>(c);
        }
        for (int64_t t = 0; t < p.n_tok; ++t) {
            alignas(16) float out[4];
            _mm_store_ps(out, c.facc[t]);
            for (int r = 0; r < c.nv; ++r) p.y[t * p.w->n_out + o0 + r] = out[r];
        }
    }
}

}  // namespace

mm_rows_fn mm_rows_avx2_quant(dtype t) {
    switch (t) {
    case dtype::q4_0: return rows<dtype::q4_0>;
    case dtype::q4_1: return rows<dtype::q4_1>;
    case dtype::q5_0: return rows<dtype::q5_0>;
    case dtype::q5_1: return rows<dtype::q5_1>;
    case dtype::q8_0: return rows<dtype::q8_0>;
    case dtype::q4_k: return rows<dtype::q4_k>;
    case dtype::q5_k: return rows<dtype::q5_k>;
    case dtype::q6_k: return rows<dtype::q6_k>;
    default: return nullptr;
    }
}

}  // namespace tts::kernels::cpu
