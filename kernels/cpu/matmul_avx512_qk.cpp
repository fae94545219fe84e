// matmul_avx512_qk: AVX-512 VNNI kernels for the K-quants Q4_K, Q5_K and Q6_K.
//
// A super-block of 256 values is four groups of 64 (one zmm each, in the activation order of
// matmul_format.h). Per (token, row) and super-block the kernels form the contract's exact
// integers i (sub-block scales folded in) and, for Q4_K/Q5_K, m = sum(mins * bs), then
// acc = fma(float(i), d * dx, acc) and acc = fma(float(m), -dmin * dx, acc).
//   few tokens: lane-k, i via vpmaddubsw + vpdpwssd (the scale is the int16 multiplier), then
//               reduce16 across 16 (token, row) pairs;
//   many tokens: row-lane panels of 16 rows, vpdpbusd per sub-block, times the row's scale.
#include <algorithm>
#include <vector>

#include "kernels/cpu/blocks.h"
#include "kernels/cpu/matmul_avx512.h"

namespace tts::kernels::cpu::avx512 {

namespace {

inline __m512i halves_epi8(char lo, char hi) {
    return _mm512_inserti64x4(_mm512_set1_epi8(lo), _mm256_set1_epi8(hi), 1);
}

// The 6-bit scales (low 64 bits) and mins (high 64 bits) of a Q4_K/Q5_K block, one byte each.
inline __m128i k4_scales_mins(const uint8_t * s) {
    uint64_t sc, mn;
    q4_k_scales_mins(s, sc, mn);
    return _mm_set_epi64x(int64_t(mn), int64_t(sc));
}

// Per type: block bytes; byte offset of a 32-bit word holding d (and dmin) as f16 halves;
// weights(): the 4 groups as unsigned bytes; scales16(): the sub-block scales as int16
// (8 for Q4_K/Q5_K followed by the 8 mins; 16 for Q6_K).
template <dtype T> struct wk;

template <> struct wk<dtype::q4_k> {
    static constexpr int bb = 144, d_word = 0, n_sub = 8, sub = 32;
    static constexpr bool d_high = false, has_min = true;
    static void weights(const uint8_t * b, __m512i w[4]) {
        const __m512i m = _mm512_set1_epi8(0x0f);
        const __m512i a0 = _mm512_loadu_si512(b + 16), a1 = _mm512_loadu_si512(b + 80);
        w[0] = _mm512_and_si512(a0, m);
        w[1] = _mm512_and_si512(_mm512_srli_epi16(a0, 4), m);
        w[2] = _mm512_and_si512(a1, m);
        w[3] = _mm512_and_si512(_mm512_srli_epi16(a1, 4), m);
    }
    static __m256i scales16(const uint8_t * b) { return _mm256_cvtepu8_epi16(k4_scales_mins(b + 4)); }
};

template <> struct wk<dtype::q5_k> {
    static constexpr int bb = 176, d_word = 0, n_sub = 8, sub = 32;
    static constexpr bool d_high = false, has_min = true;
    static void weights(const uint8_t * b, __m512i w[4]) {
        const __m512i m = _mm512_set1_epi8(0x0f), sixteen = _mm512_set1_epi8(16);
        const __m512i a0 = _mm512_loadu_si512(b + 48), a1 = _mm512_loadu_si512(b + 112);
        const __m512i h = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(b + 16)));
        w[0] = _mm512_and_si512(a0, m);
        w[1] = _mm512_and_si512(_mm512_srli_epi16(a0, 4), m);
        w[2] = _mm512_and_si512(a1, m);
        w[3] = _mm512_and_si512(_mm512_srli_epi16(a1, 4), m);
        // Group i holds sub-blocks (a, b) = (0,2), (1,3), (4,6), (5,7): bit a of qh[l], then bit b.
        w[0] = _mm512_mask_add_epi8(w[0], _mm512_test_epi8_mask(h, halves_epi8(0x01, 0x04)), w[0], sixteen);
        w[1] = _mm512_mask_add_epi8(w[1], _mm512_test_epi8_mask(h, halves_epi8(0x02, 0x08)), w[1], sixteen);
        w[2] = _mm512_mask_add_epi8(w[2], _mm512_test_epi8_mask(h, halves_epi8(0x10, 0x40)), w[2], sixteen);
        w[3] = _mm512_mask_add_epi8(w[3], _mm512_test_epi8_mask(h, halves_epi8(0x20, char(0x80))), w[3], sixteen);
    }
    static __m256i scales16(const uint8_t * b) { return _mm256_cvtepu8_epi16(k4_scales_mins(b + 4)); }
};

template <> struct wk<dtype::q6_k> {
    static constexpr int bb = 210, d_word = 206, n_sub = 16, sub = 16;
    static constexpr bool d_high = true, has_min = false;
    static void weights(const uint8_t * b, __m512i w[4]) {
        const __m512i m = _mm512_set1_epi8(0x0f), m2 = _mm512_set1_epi8(0x30);
        // Bits 4-5 of each value: qh[l] bits 0-1 / 2-3 (low nibbles), 4-5 / 6-7 (high nibbles).
        const __m512i up = _mm512_inserti64x4(_mm512_set1_epi16(4), _mm256_set1_epi16(2), 1);
        const __m512i down = _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_set1_epi16(2), 1);
        for (int h = 0; h < 2; ++h) {
            const __m512i ql = _mm512_loadu_si512(b + 64 * h);
            const __m512i qh = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(b + 128 + 32 * h)));
            w[2 * h] = _mm512_or_si512(_mm512_and_si512(ql, m), _mm512_and_si512(_mm512_sllv_epi16(qh, up), m2));
            w[2 * h + 1] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(ql, 4), m),
                                           _mm512_and_si512(_mm512_srlv_epi16(qh, down), m2));
        }
    }
    static __m256i scales16(const uint8_t * b) {
        return _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(b + 192)));
    }
};

// ---- row-lane panels: 16 rows, one super-block ------------------------------------------

struct panel {
    __m512i w[64];      // group g, 4-byte lane k: w[16g + k], lane r = row r
    __m512i sc[16];     // sub-block j scale of each row (int32)
    __m512i mp[4];      // Q4_K/Q5_K: (min 2i, min 2i+1) int16 pair of each row
    __m512 d, ndmin;    // d and -dmin of each row
};

struct job {
    const mm_problem * p;
    xq_layout l;
    const uint8_t * rows;   // first row of the 16-row tile
    size_t rb;
    int nv;                 // valid rows
    int64_t o0;
};

template <dtype T>
void repack(const job & j, int64_t sb, panel & P) {
    using W = wk<T>;
    alignas(64) __m512i tmp[4][16];
    __m512i s[16];
    for (int r = 0; r < 16; ++r) {
        const uint8_t * b = j.rows + size_t(std::min(r, j.nv - 1)) * j.rb + sb * W::bb;
        __m512i w[4];
        W::weights(b, w);
#pragma GCC unroll 8
        for (int g = 0; g < 4; ++g) tmp[g][r] = w[g];
        s[r] = _mm512_zextsi256_si512(W::scales16(b));
    }
#pragma GCC unroll 8
    for (int g = 0; g < 4; ++g) {
        transpose16(tmp[g]);
        for (int k = 0; k < 16; ++k) _mm512_store_si512(&P.w[16 * g + k], tmp[g][k]);
    }
    transpose16(s);   // s[k] lane r = int16 pair k of row r's scales16
    if constexpr (W::has_min) {
#pragma GCC unroll 8
        for (int i = 0; i < 4; ++i) {
            P.sc[2 * i] = _mm512_srai_epi32(_mm512_slli_epi32(s[i], 16), 16);
            P.sc[2 * i + 1] = _mm512_srai_epi32(s[i], 16);
            P.mp[i] = s[4 + i];
        }
    } else {
        for (int i = 0; i < 8; ++i) {
            P.sc[2 * i] = _mm512_srai_epi32(_mm512_slli_epi32(s[i], 16), 16);
            P.sc[2 * i + 1] = _mm512_srai_epi32(s[i], 16);
        }
    }
    const __m512i dw = gather32(j.rows + sb * W::bb + W::d_word, row_offsets(j.rb, j.nv));
    P.d = W::d_high ? f16_hi(dw) : f16_lo(dw);
    if constexpr (W::has_min) P.ndmin = _mm512_sub_ps(_mm512_setzero_ps(), f16_hi(dw));
}

// Storage slot s of a Q4_K/Q5_K super-block's activations holds sub-block k_slot[s].
constexpr int k_slot[8] = {0, 2, 1, 3, 4, 6, 5, 7};

template <dtype T, int TT>
void compute(const job & j, const panel & P, int64_t sb, int64_t t0, float * fbuf, bool first, bool last) {
    using W = wk<T>;
    const mm_problem & p = *j.p;
    const uint8_t * xr[TT];
#pragma GCC unroll 8
    for (int t = 0; t < TT; ++t) xr[t] = p.xq + (t0 + t) * p.xq_stride;
    __m512 acc[TT];
    __m512i isum[TT], isub[TT];
#pragma GCC unroll 8
    for (int t = 0; t < TT; ++t) {
        acc[t] = first ? _mm512_setzero_ps() : _mm512_load_ps(fbuf + (t0 + t) * 16);
        isum[t] = _mm512_setzero_si512();
    }
    constexpr int steps = W::sub / 4;   // 4-byte lanes per sub-block
#pragma GCC unroll 1
    for (int s = 0; s < W::n_sub; ++s) {
        const int jsub = W::has_min ? k_slot[s] : s;
#pragma GCC unroll 8
        for (int t = 0; t < TT; ++t) {
            if constexpr (W::has_min) isub[t] = _mm512_setzero_si512();
            else isub[t] = _mm512_set1_epi32(reinterpret_cast<const int32_t *>(xr[t] + j.l.off_nb)[16 * sb + s]);
        }
#pragma GCC unroll 8
        for (int k = 0; k < steps; ++k) {
            const __m512i wv = _mm512_load_si512(&P.w[steps * s + k]);
#pragma GCC unroll 8
            for (int t = 0; t < TT; ++t) {
                const __m512i xv = _mm512_set1_epi32(load_i32(xr[t] + 256 * sb + W::sub * s + 4 * k));
                isub[t] = _mm512_dpbusd_epi32(isub[t], wv, xv);
            }
        }
#pragma GCC unroll 8
        for (int t = 0; t < TT; ++t) isum[t] = _mm512_add_epi32(isum[t], _mm512_mullo_epi32(isub[t], P.sc[jsub]));
    }
#pragma GCC unroll 8
    for (int t = 0; t < TT; ++t) {
        const __m512 dx = _mm512_set1_ps(reinterpret_cast<const float *>(xr[t] + j.l.off_dx)[sb]);
        acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum[t]), _mm512_mul_ps(P.d, dx), acc[t]);
        if constexpr (W::has_min) {
            const int16_t * bs = reinterpret_cast<const int16_t *>(xr[t] + j.l.off_bs) + 8 * sb;
            __m512i im = _mm512_setzero_si512();
#pragma GCC unroll 8
            for (int i = 0; i < 4; ++i) im = _mm512_dpwssd_epi32(im, P.mp[i], _mm512_set1_epi32(load_i32(bs + 2 * i)));
            acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(im), _mm512_mul_ps(P.ndmin, dx), acc[t]);
        }
        if (last) _mm512_mask_storeu_ps(p.y + (t0 + t) * p.w->n_out + j.o0, lanes_below(j.nv), acc[t]);
        else _mm512_store_ps(fbuf + (t0 + t) * 16, acc[t]);
    }
}

template <dtype T>
void compute_tokens(const job & j, const panel & P, int64_t sb, float * fbuf, bool first, bool last) {
    const int64_t n = j.p->n_tok;
    int64_t t = 0;
    for (; t + 8 <= n; t += 8) compute<T, 8>(j, P, sb, t, fbuf, first, last);
    switch (n - t) {
    case 1: compute<T, 1>(j, P, sb, t, fbuf, first, last); break;
    case 2: compute<T, 2>(j, P, sb, t, fbuf, first, last); break;
    case 3: compute<T, 3>(j, P, sb, t, fbuf, first, last); break;
    case 4: compute<T, 4>(j, P, sb, t, fbuf, first, last); break;
    case 5: compute<T, 5>(j, P, sb, t, fbuf, first, last); break;
    case 6: compute<T, 6>(j, P, sb, t, fbuf, first, last); break;
    case 7: compute<T, 7>(j, P, sb, t, fbuf, first, last); break;
    default: break;
    }
}

// ---- lane-k decode: NT tokens x R = 16 / NT rows, lane t * R + r --------------------------

// vpermw indices: int16 lane i of group g's scale multiplier picks scales16 entry idx[g][i].
struct scale_index {
    alignas(64) int16_t idx[4][32];
    explicit constexpr scale_index(bool k6) : idx{} {
        constexpr int pairs[4][2] = {{0, 2}, {1, 3}, {4, 6}, {5, 7}};   // Q4_K/Q5_K group sub-blocks
#pragma GCC unroll 8
        for (int g = 0; g < 4; ++g) {
            for (int i = 0; i < 32; ++i) idx[g][i] = int16_t(k6 ? 4 * g + i / 8 : pairs[g][i / 16]);
        }
    }
};
constexpr scale_index k_idx4(false), k_idx6(true);

inline __m512i four128(__m128i a, __m128i b, __m128i c, __m128i d) {
    return _mm512_inserti32x4(_mm512_inserti32x4(_mm512_inserti32x4(_mm512_castsi128_si512(a), b, 1), c, 2), d, 3);
}

// Per-lane token values: lane l takes v[l / R].
template <int NT>
inline __m512 by_token(const float * v) {
    if constexpr (NT == 1) return _mm512_set1_ps(v[0]);
    else if constexpr (NT == 2) return _mm512_mask_blend_ps(0xff00, _mm512_set1_ps(v[0]), _mm512_set1_ps(v[1]));
    else {
        const __m512i l = _mm512_srli_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), 2);
        return _mm512_permutexvar_ps(l, _mm512_castps128_ps512(_mm_loadu_ps(v)));
    }
}

template <dtype T, int NT>
void decode(const job & j, int64_t t0) {
    using W = wk<T>;
    constexpr int R = 16 / NT;
    const mm_problem & p = *j.p;
    const int64_t n_sb = p.w->n_in / 256;
    const uint8_t * rp[R];
    for (int r = 0; r < R; ++r) rp[r] = j.rows + size_t(std::min(r, j.nv - 1)) * j.rb;
    const uint8_t * xr[NT];
#pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) xr[t] = p.xq + (t0 + t) * p.xq_stride;
    const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m512i roffs = _mm512_mullo_epi32(
        _mm512_min_epi32(_mm512_and_si512(lane, _mm512_set1_epi32(R - 1)), _mm512_set1_epi32(j.nv - 1)),
        _mm512_set1_epi32(int32_t(j.rb)));
    const scale_index & si = W::has_min ? k_idx4 : k_idx6;
    __m512i sidx[4];
#pragma GCC unroll 8
    for (int g = 0; g < 4; ++g) sidx[g] = _mm512_load_si512(si.idx[g]);
    __m512 acc = _mm512_setzero_ps();
    for (int64_t sb = 0; sb < n_sb; ++sb) {
        __m512i nb16[NT];   // Q6_K: -16 * bs of the 16 sub-blocks (int16 lanes 0-15)
        __m128i bs8[NT];    // Q4_K/Q5_K: bs of the 8 sub-blocks
        float dxs[NT];
#pragma GCC unroll 8
        for (int t = 0; t < NT; ++t) {
            const int16_t * bs = reinterpret_cast<const int16_t *>(xr[t] + j.l.off_bs) + (W::has_min ? 8 : 16) * sb;
            if constexpr (W::has_min) bs8[t] = _mm_loadu_si128((const __m128i *)bs);
            else nb16[t] = _mm512_zextsi256_si512(_mm256_mullo_epi16(_mm256_loadu_si256((const __m256i *)bs),
                                                                      _mm256_set1_epi16(-16)));
            dxs[t] = reinterpret_cast<const float *>(xr[t] + j.l.off_dx)[sb];
        }
        __m512i v[16];
        __m128i mn[R];
#pragma GCC unroll 16
        for (int r = 0; r < R; ++r) {
            const uint8_t * b = rp[r] + sb * W::bb;
            __m512i w[4];
            W::weights(b, w);
            const __m256i sc16 = W::scales16(b);
            const __m512i sc = _mm512_zextsi256_si512(sc16);
            __m512i scg[4];
#pragma GCC unroll 8
            for (int g = 0; g < 4; ++g) scg[g] = _mm512_permutexvar_epi16(sidx[g], sc);
            if constexpr (W::has_min) mn[r] = _mm256_extracti128_si256(sc16, 1);
#pragma GCC unroll 4
            for (int t = 0; t < NT; ++t) {
                __m512i a = _mm512_setzero_si512();
                if constexpr (!W::has_min) a = _mm512_dpwssd_epi32(a, _mm512_slli_epi16(sc, 1), nb16[t]);
                const uint8_t * xq = xr[t] + 256 * sb;
#pragma GCC unroll 4
                for (int g = 0; g < 4; ++g)
                    a = _mm512_dpwssd_epi32(a, _mm512_maddubs_epi16(w[g], _mm512_load_si512(xq + 64 * g)), scg[g]);
                v[t * R + r] = a;
            }
        }
        const __m512i isum = reduce16(v);
        const __m512i dwords = gather32(j.rows + sb * W::bb + W::d_word, roffs);
        const __m512 dx = by_token<NT>(dxs);
        acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), _mm512_mul_ps(W::d_high ? f16_hi(dwords) : f16_lo(dwords), dx),
                              acc);
        if constexpr (W::has_min) {
            // Pair q = t * R + r sits in 128-bit lane q / 4 of vector q % 4; its bs are token t's.
            const __m512i bsz = NT == 1 ? _mm512_broadcast_i32x4(bs8[0])
                                : NT == 2 ? four128(bs8[0], bs8[0], bs8[NT - 1], bs8[NT - 1])
                                          : four128(bs8[0], bs8[1 % NT], bs8[2 % NT], bs8[3 % NT]);
            __m512i mz[4];
#pragma GCC unroll 8
            for (int i = 0; i < 4; ++i) {
                mz[i] = _mm512_madd_epi16(four128(mn[i % R], mn[(4 + i) % R], mn[(8 + i) % R], mn[(12 + i) % R]), bsz);
            }
            const __m512i imin = fold64(fold32(mz[0], mz[1]), fold32(mz[2], mz[3]));
            const __m512 ndmin = _mm512_sub_ps(_mm512_setzero_ps(), f16_hi(dwords));
            acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(imin), _mm512_mul_ps(ndmin, dx), acc);
        }
    }
    alignas(64) float out[16];
    _mm512_store_ps(out, acc);
#pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) {
        for (int r = 0; r < j.nv && r < R; ++r) p.y[(t0 + t) * p.w->n_out + j.o0 + r] = out[t * R + r];
    }
}

// Up to this many tokens, lane-k tiles beat unpacking a transposed panel.
constexpr int64_t k_decode_max_tok = 4;

template <dtype T, int NT>
void decode_rows(const job & j, int64_t t0) {
    constexpr int R = 16 / NT;
    for (int r0 = 0; r0 < j.nv; r0 += R) {
        job h = j;
        h.rows = j.rows + size_t(r0) * j.rb;
        h.o0 = j.o0 + r0;
        h.nv = std::min(R, j.nv - r0);
        decode<T, NT>(h, t0);
    }
}

template <dtype T>
void decode_tokens(const job & j) {
    const int64_t n = j.p->n_tok;
    int64_t t = 0;
    for (; t + 4 <= n; t += 4) decode_rows<T, 4>(j, t);
    for (; t + 2 <= n; t += 2) decode_rows<T, 2>(j, t);
    if (t < n) decode_rows<T, 1>(j, t);
}

template <dtype T>
void rows(const mm_problem & p, int64_t r0, int64_t r1) {
    const weight_view & w = *p.w;
    job j{};
    j.p = &p;
    j.l = xq_layout_of(T, w.n_in);
    j.rb = row_bytes(uint32_t(T), w.n_in);
    const int64_t n_sb = w.n_in / 256;
    static thread_local std::vector<panel> pbuf(1);
    static thread_local std::vector<__m512> fvec;
    if (n_sb > 1 && fvec.size() < size_t(p.n_tok)) fvec.resize(size_t(p.n_tok));
    float * fbuf = reinterpret_cast<float *>(fvec.data());
    for (int64_t o0 = r0; o0 < r1; o0 += 16) {
        j.o0 = o0;
        j.nv = int(std::min<int64_t>(16, r1 - o0));
        j.rows = static_cast<const uint8_t *>(w.data) + size_t(o0) * j.rb;
        if (p.n_tok <= k_decode_max_tok) {
            decode_tokens<T>(j);
            continue;
        }
        for (int64_t sb = 0; sb < n_sb; ++sb) {
            repack<T>(j, sb, pbuf[0]);
            compute_tokens<T>(j, pbuf[0], sb, fbuf, sb == 0, sb == n_sb - 1);
        }
    }
}

}  // namespace

rows_fn rows_qk(dtype t) {
    switch (t) {
    case dtype::q4_k: return rows<dtype::q4_k>;
    case dtype::q5_k: return rows<dtype::q5_k>;
    case dtype::q6_k: return rows<dtype::q6_k>;
    default: return nullptr;
    }
}

}  // namespace tts::kernels::cpu::avx512
