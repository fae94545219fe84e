// matmul_avx512_q32: AVX-512 VNNI kernels for the 32-value block types Q4_0, Q4_1, Q5_0, Q5_1
// and Q8_0 (lane-k tiles of 8 rows for 1-2 tokens, row-lane panels beyond; matmul_avx512.h).
//
// A group is 64 values = blocks A (2g) and B (2g+1), unpacked to unsigned bytes w + K in the
// pairs32 order [A0..15 B0..15 A16..31 B16..31], so 4-byte lanes 0-3 and 8-11 are A's and
// 4-7, 12-15 are B's. Per (token, row): iA = -K * sum(xA) + sum over A's lanes of w . x, exact;
// then acc = fma(float(iA), dA * dxA, acc) (+ fma(mA, sA, acc)), then the same for B.
#include <algorithm>
#include <vector>

#include "kernels/cpu/blocks.h"
#include "kernels/cpu/matmul_avx512.h"

namespace tts::kernels::cpu::avx512 {

namespace {

inline __m512i nibbles_pairs(const uint8_t * qa, const uint8_t * qb) {
    const __m256i q = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)qa)),
                                              _mm_loadu_si128((const __m128i *)qb), 1);
    const __m512i both = _mm512_inserti64x4(_mm512_castsi256_si512(q), _mm256_srli_epi16(q, 4), 1);
    return _mm512_and_si512(both, _mm512_set1_epi8(0x0f));
}

// Bit 4 of every value from the two blocks' 32-bit qh, in pairs32 order.
inline __m512i add_high_bits(__m512i w, const uint8_t * qha, const uint8_t * qhb) {
    const uint32_t a = uint32_t(load_i32(qha)), b = uint32_t(load_i32(qhb));
    const uint64_t lo = (a & 0xffffu) | (b << 16), hi = (a >> 16) | (b & 0xffff0000u);
    return _mm512_mask_add_epi8(w, __mmask64(lo | hi << 32), w, _mm512_set1_epi8(16));
}

// Per type: block bytes, whether the 32-bit word at the block start holds a min (d | m << 16),
// and load(a, b): the group's 64 values as w + K.
template <dtype T> struct wq;

template <> struct wq<dtype::q4_0> {
    static constexpr int bb = 18;
    static constexpr bool has_min = false;
    static __m512i load(const uint8_t * a, const uint8_t * b) { return nibbles_pairs(a + 2, b + 2); }
};
template <> struct wq<dtype::q4_1> {
    static constexpr int bb = 20;
    static constexpr bool has_min = true;
    static __m512i load(const uint8_t * a, const uint8_t * b) { return nibbles_pairs(a + 4, b + 4); }
};
template <> struct wq<dtype::q5_0> {
    static constexpr int bb = 22;
    static constexpr bool has_min = false;
    static __m512i load(const uint8_t * a, const uint8_t * b) {
        return add_high_bits(nibbles_pairs(a + 6, b + 6), a + 2, b + 2);
    }
};
template <> struct wq<dtype::q5_1> {
    static constexpr int bb = 24;
    static constexpr bool has_min = true;
    static __m512i load(const uint8_t * a, const uint8_t * b) {
        return add_high_bits(nibbles_pairs(a + 8, b + 8), a + 4, b + 4);
    }
};
template <> struct wq<dtype::q8_0> {
    static constexpr int bb = 34;
    static constexpr bool has_min = false;
    static __m512i load(const uint8_t * a, const uint8_t * b) {
        const __m512i w = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)(a + 2))),
                                             _mm256_loadu_si256((const __m256i *)(b + 2)), 1);
        // [A | B] -> [A0..15 B0..15 A16..31 B16..31], int8 -> uint8 (w + 128).
        return _mm512_xor_si512(_mm512_shuffle_i64x2(w, w, 0xd8), _mm512_set1_epi8(char(0x80)));
    }
};

constexpr int64_t k_chunk_groups = 8;   // 512 values of 16 rows: 8 KiB of unpacked weights

// The unpacked weights of 16 rows for groups [g0, g0 + n) of a chunk.
struct panel {
    __m512i w[k_chunk_groups][16];   // transposed: w[g][k] lane r = bytes 4k..4k+3 of row r's group
    __m512 d[k_chunk_groups][2];     // per block A, B: 16 rows' scales
    __m512 m[k_chunk_groups][2];     // mins (min types)
};

struct job {
    const mm_problem * p;
    xq_layout l;
    const uint8_t * rows;   // first row of the panel
    size_t rb;
    int nv;                 // valid rows in the panel
    int64_t o0, nb;
};

template <dtype T>
void repack(const job & j, int64_t g0, int64_t g1, panel & P) {
    using W = wq<T>;
    const uint8_t * rp[16];
    for (int r = 0; r < 16; ++r) rp[r] = j.rows + size_t(std::min(r, j.nv - 1)) * j.rb;
    const __m512i offs = row_offsets(j.rb, j.nv);
    for (int64_t g = g0; g < g1; ++g) {
        const int64_t ba = 2 * g, bb = 2 * g + 1 < j.nb ? 2 * g + 1 : 2 * g;
        __m512i v[16];
        for (int r = 0; r < 16; ++r) v[r] = W::load(rp[r] + ba * W::bb, rp[r] + bb * W::bb);
        transpose16(v);
        for (int k = 0; k < 16; ++k) _mm512_store_si512(&P.w[g - g0][k], v[k]);
        const __m512i sa = gather32(j.rows + ba * W::bb, offs), sb = gather32(j.rows + bb * W::bb, offs);
        P.d[g - g0][0] = f16_lo(sa);
        P.d[g - g0][1] = f16_lo(sb);
        if constexpr (W::has_min) {
            P.m[g - g0][0] = f16_hi(sa);
            P.m[g - g0][1] = f16_hi(sb);
        }
    }
}

// Tokens [t0, t0 + TT) over groups [g0, g1); acc lives in fbuf between chunks.
template <dtype T, int TT>
void compute(const job & j, const panel & P, int64_t g0, int64_t g1, int64_t t0, float * fbuf, bool first,
             bool last) {
    constexpr xq_type f = xq_type_of(T);
    const mm_problem & p = *j.p;
    const uint8_t * xr[TT];
#pragma GCC unroll 8
    for (int t = 0; t < TT; ++t) xr[t] = p.xq + (t0 + t) * p.xq_stride;
    __m512 acc[TT];
#pragma GCC unroll 8
    for (int t = 0; t < TT; ++t) acc[t] = first ? _mm512_setzero_ps() : _mm512_load_ps(fbuf + (t0 + t) * 16);
    for (int64_t g = g0; g < g1; ++g) {
        const bool has_b = 2 * g + 1 < j.nb;
        __m512i ia[TT], ib[TT];
#pragma GCC unroll 8
        for (int t = 0; t < TT; ++t) {
            if constexpr (f.offset != 0) {
                const int32_t * nbx = reinterpret_cast<const int32_t *>(xr[t] + j.l.off_nb);
                ia[t] = _mm512_set1_epi32(nbx[2 * g]);
                ib[t] = _mm512_set1_epi32(has_b ? nbx[2 * g + 1] : 0);
            } else {
                ia[t] = ib[t] = _mm512_setzero_si512();
            }
        }
        const __m512i * wp = P.w[g - g0];
#pragma GCC unroll 16
        for (int k = 0; k < 16; ++k) {
            const __m512i wk = _mm512_load_si512(wp + k);
#pragma GCC unroll 8
            for (int t = 0; t < TT; ++t) {
                const __m512i xv = _mm512_set1_epi32(load_i32(xr[t] + 64 * g + 4 * k));
                if (k & 4) ib[t] = _mm512_dpbusd_epi32(ib[t], wk, xv);
                else ia[t] = _mm512_dpbusd_epi32(ia[t], wk, xv);
            }
        }
        const __m512 da = P.d[g - g0][0], db = P.d[g - g0][1];
#pragma GCC unroll 8
        for (int t = 0; t < TT; ++t) {
            const float * dx = reinterpret_cast<const float *>(xr[t] + j.l.off_dx);
            const float * s = reinterpret_cast<const float *>(xr[t] + j.l.off_s);
            acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(ia[t]), _mm512_mul_ps(da, _mm512_set1_ps(dx[2 * g])), acc[t]);
            if constexpr (f.has_s) acc[t] = _mm512_fmadd_ps(P.m[g - g0][0], _mm512_set1_ps(s[2 * g]), acc[t]);
            if (has_b) {
                acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(ib[t]), _mm512_mul_ps(db, _mm512_set1_ps(dx[2 * g + 1])),
                                         acc[t]);
                if constexpr (f.has_s) acc[t] = _mm512_fmadd_ps(P.m[g - g0][1], _mm512_set1_ps(s[2 * g + 1]), acc[t]);
            }
        }
    }
#pragma GCC unroll 8
    for (int t = 0; t < TT; ++t) {
        if (last) _mm512_mask_storeu_ps(p.y + (t0 + t) * p.w->n_out + j.o0, lanes_below(j.nv), acc[t]);
        else _mm512_store_ps(fbuf + (t0 + t) * 16, acc[t]);
    }
}

template <dtype T>
void compute_tokens(const job & j, const panel & P, int64_t g0, int64_t g1, float * fbuf, bool first, bool last) {
    const int64_t n = j.p->n_tok;
    int64_t t = 0;
    for (; t + 8 <= n; t += 8) compute<T, 8>(j, P, g0, g1, t, fbuf, first, last);
    switch (n - t) {
    case 1: compute<T, 1>(j, P, g0, g1, t, fbuf, first, last); break;
    case 2: compute<T, 2>(j, P, g0, g1, t, fbuf, first, last); break;
    case 3: compute<T, 3>(j, P, g0, g1, t, fbuf, first, last); break;
    case 4: compute<T, 4>(j, P, g0, g1, t, fbuf, first, last); break;
    case 5: compute<T, 5>(j, P, g0, g1, t, fbuf, first, last); break;
    case 6: compute<T, 6>(j, P, g0, g1, t, fbuf, first, last); break;
    case 7: compute<T, 7>(j, P, g0, g1, t, fbuf, first, last); break;
    default: break;
    }
}

// ---- lane-k decode: 8 rows, tokens one after another -----------------------------------

// 8 row vectors -> lanes 0-7: block A totals of rows 0-7, lanes 8-15: block B totals.
inline __m512i reduce8_pairs(const __m512i v[8]) {
    const __m512i b0 = fold64(fold32(v[0], v[1]), fold32(v[2], v[3]));
    const __m512i b1 = fold64(fold32(v[4], v[5]), fold32(v[6], v[7]));
    // 128-bit lanes 0 and 2 hold A's partials, 1 and 3 B's.
    const __m512i a = _mm512_shuffle_i32x4(b0, b1, 0x88), b = _mm512_shuffle_i32x4(b0, b1, 0xdd);
    return _mm512_add_epi32(_mm512_shuffle_i32x4(a, b, 0x88), _mm512_shuffle_i32x4(a, b, 0xdd));
}

// Lanes 0-7 = p[0], lanes 8-15 = p[1] (two adjacent 32-bit values).
inline __m512i pair_halves(const void * p) {
    const __m512i idx = _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1);
    return _mm512_permutexvar_epi32(idx, _mm512_castsi128_si512(_mm_loadl_epi64(static_cast<const __m128i *>(p))));
}

template <dtype T, int NT>
void decode8(const job & j, int64_t t0, int nv) {
    using W = wq<T>;
    constexpr xq_type f = xq_type_of(T);
    const mm_problem & p = *j.p;
    const uint8_t * rp[8];
    for (int r = 0; r < 8; ++r) rp[r] = j.rows + size_t(std::min(r, nv - 1)) * j.rb;
    const uint8_t * xr[NT];
#pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) xr[t] = p.xq + (t0 + t) * p.xq_stride;
    // Gather index: lane l -> row l % 8 (clamped), block B for lanes >= 8.
    const __m512i r8 = _mm512_min_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7),
                                        _mm512_set1_epi32(nv - 1));
    const __m512i offs = _mm512_add_epi32(_mm512_mullo_epi32(r8, _mm512_set1_epi32(int32_t(j.rb))),
                                          _mm512_mask_blend_epi32(0xff00, _mm512_setzero_si512(),
                                                                  _mm512_set1_epi32(W::bb)));
    __m256 acc[NT];
#pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) acc[t] = _mm256_setzero_ps();
    const int64_t ng = (j.nb + 1) / 2;
    for (int64_t g = 0; g < ng; ++g) {
        const bool has_b = 2 * g + 1 < j.nb;
        const int64_t ba = 2 * g * W::bb, bb = has_b ? ba + W::bb : ba;
        __m512i w[8];
#pragma GCC unroll 8
        for (int r = 0; r < 8; ++r) w[r] = W::load(rp[r] + ba, rp[r] + bb);
        const __m512i sw = gather32(j.rows + ba, has_b ? offs : _mm512_mullo_epi32(r8, _mm512_set1_epi32(int32_t(j.rb))));
        const __m512 dw = f16_lo(sw);
#pragma GCC unroll 4
        for (int t = 0; t < NT; ++t) {
            const __m512i xq = _mm512_load_si512(xr[t] + 64 * g);
            __m512i v[8];
#pragma GCC unroll 8
            for (int r = 0; r < 8; ++r) v[r] = _mm512_dpbusd_epi32(_mm512_setzero_si512(), w[r], xq);
            __m512i tot = reduce8_pairs(v);
            if constexpr (f.offset != 0) tot = _mm512_add_epi32(tot, pair_halves(xr[t] + j.l.off_nb + 8 * g));
            const __m512 fv = _mm512_cvtepi32_ps(tot);
            const __m512 pd = _mm512_mul_ps(dw, _mm512_castsi512_ps(pair_halves(xr[t] + j.l.off_dx + 8 * g)));
            const float * s = reinterpret_cast<const float *>(xr[t] + j.l.off_s);
            acc[t] = _mm256_fmadd_ps(_mm512_castps512_ps256(fv), _mm512_castps512_ps256(pd), acc[t]);
            if constexpr (f.has_s) acc[t] = _mm256_fmadd_ps(_mm512_castps512_ps256(f16_hi(sw)), _mm256_set1_ps(s[2 * g]), acc[t]);
            if (has_b) {
                acc[t] = _mm256_fmadd_ps(hi256(fv), hi256(pd), acc[t]);
                if constexpr (f.has_s)
                    acc[t] = _mm256_fmadd_ps(hi256(f16_hi(sw)), _mm256_set1_ps(s[2 * g + 1]), acc[t]);
            }
        }
    }
#pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) _mm256_mask_storeu_ps(p.y + (t0 + t) * p.w->n_out + j.o0, __mmask8((1u << nv) - 1), acc[t]);
}

// Up to this many tokens, lane-k beats unpacking a transposed panel.
constexpr int64_t k_decode_max_tok = 3;

template <dtype T>
void decode_tokens(job j) {
    for (int half = 0; half < 2 && half * 8 < j.nv; ++half) {
        const int nv = std::min(8, j.nv - 8 * half);
        job h = j;
        h.rows = j.rows + size_t(8 * half) * j.rb;
        h.o0 = j.o0 + 8 * half;
        switch (j.p->n_tok) {
        case 3: decode8<T, 3>(h, 0, nv); break;
        case 2: decode8<T, 2>(h, 0, nv); break;
        default: decode8<T, 1>(h, 0, nv); break;
        }
    }
}

template <dtype T>
void rows(const mm_problem & p, int64_t r0, int64_t r1) {
    const weight_view & w = *p.w;
    job j{};
    j.p = &p;
    j.l = xq_layout_of(T, w.n_in);
    j.rb = row_bytes(uint32_t(T), w.n_in);
    j.nb = w.n_in / 32;
    const int64_t ng = (j.nb + 1) / 2;
    static thread_local std::vector<panel> pbuf(1);
    static thread_local std::vector<__m512> fvec;
    if (ng > k_chunk_groups && fvec.size() < size_t(p.n_tok)) fvec.resize(size_t(p.n_tok));
    float * fbuf = reinterpret_cast<float *>(fvec.data());
    for (int64_t o0 = r0; o0 < r1; o0 += 16) {
        j.o0 = o0;
        j.nv = int(std::min<int64_t>(16, r1 - o0));
        j.rows = static_cast<const uint8_t *>(w.data) + size_t(o0) * j.rb;
        if (p.n_tok <= k_decode_max_tok) {
            decode_tokens<T>(j);
            continue;
        }
        for (int64_t g0 = 0; g0 < ng; g0 += k_chunk_groups) {
            const int64_t g1 = std::min(ng, g0 + k_chunk_groups);
            repack<T>(j, g0, g1, pbuf[0]);
            compute_tokens<T>(j, pbuf[0], g0, g1, fbuf, g0 == 0, g1 == ng);
        }
    }
}

}  // namespace

rows_fn rows_q32(dtype t) {
    switch (t) {
    case dtype::q4_0: return rows<dtype::q4_0>;
    case dtype::q4_1: return rows<dtype::q4_1>;
    case dtype::q5_0: return rows<dtype::q5_0>;
    case dtype::q5_1: return rows<dtype::q5_1>;
    case dtype::q8_0: return rows<dtype::q8_0>;
    default: return nullptr;
    }
}

}  // namespace tts::kernels::cpu::avx512
