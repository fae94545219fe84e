// matmul_format: the quantised-activation row every quantised matmul kernel reads, and the
// arithmetic contract that makes all SIMD levels agree bit for bit (internal header).
//
// Per weight type, activations are quantised per token row to int8 with one f32 scale dx per
// scale block (32 values for Q4_0..Q8_0, the 256-value super-block for K-quants), rounded to
// nearest even with d = amax / 127. The row is:
//   q   [n_q]  int8 in the type's order (below), zero padded to a multiple of 64
//   dx  [n_blk] f32
//   s   [n_blk] f32  dx * sum(q of the block)                      (Q4_1, Q5_1)
//   nb  [n_sum] i32  -K * sum(q of the sum block)                  (types with an offset K)
//   bs  [n_sum] i16  sum(q of the sum block)                       (K-quants)
// Sum blocks are 32 values (16 for Q6_K). Orders, per 64 values (blocks A, B) or per 256:
//   pairs32:  A0..15 B0..15 A16..31 B16..31   (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0)
//   k4pairs:  sub-blocks 0 2 1 3 4 6 5 7       (Q4_K, Q5_K: the nibble planes of 64 qs bytes)
//   natural                                    (Q6_K)
//
// Contract for every (token, row) result, whatever the level, tile or thread count:
//   acc = 0; for each scale block in order:
//     32-value types: i = sum((w - K) * q) exact;  acc = fma(float(i), dw * dx, acc);
//                     min types then acc = fma(mw, s, acc)
//     Q4_K, Q5_K:     i = sum_j sc_j * sum(w * q) exact;  m = sum_j mn_j * bs_j exact;
//                     acc = fma(float(i), d * dx, acc); acc = fma(float(m), (-dmin) * dx, acc)
//     Q6_K:           i = sum_j sc_j * sum((w - 32) * q) exact;  acc = fma(float(i), d * dx, acc)
//   y = acc.
// Integer sums are exact in int32 (|i| < 2^31 for every type), so kernels may add them in any
// order; only the float steps above are fixed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "kernels/dtype.h"

namespace tts::kernels::cpu {

enum class xorder { pairs32, k4pairs, natural };

struct xq_type {
    int blk = 32;        // values per scale block (dx)
    int sum = 32;        // values per sum block (nb, bs)
    xorder order = xorder::pairs32;
    int offset = 0;      // K in nb = -K * sum(q); 0: no nb
    bool has_s = false;  // s = dx * sum(q) per scale block
    bool has_bs = false;
};

constexpr xq_type xq_type_of(dtype t) {
    switch (t) {
    case dtype::q4_0: return {32, 32, xorder::pairs32, 8, false, false};
    case dtype::q5_0: return {32, 32, xorder::pairs32, 16, false, false};
    case dtype::q8_0: return {32, 32, xorder::pairs32, 128, false, false};
    case dtype::q4_1: case dtype::q5_1: return {32, 32, xorder::pairs32, 0, true, false};
    case dtype::q4_k: case dtype::q5_k: return {256, 32, xorder::k4pairs, 0, false, true};
    case dtype::q6_k: return {256, 16, xorder::natural, 32, false, true};
    default: return {};
    }
}

// Byte offsets of the parts of one quantised row of n_in values; stride is a multiple of 64.
struct xq_layout {
    int64_t n_q, n_blk, n_sum;
    size_t off_dx, off_s, off_nb, off_bs, stride;
};

constexpr xq_layout xq_layout_of(dtype t, int64_t n_in) {
    const xq_type f = xq_type_of(t);
    xq_layout l{};
    l.n_q = (n_in + 63) / 64 * 64;
    l.n_blk = n_in / f.blk;
    l.n_sum = n_in / f.sum;
    l.off_dx = size_t(l.n_q);
    l.off_s = l.off_dx + size_t(l.n_blk) * 4;
    l.off_nb = l.off_s + (f.has_s ? size_t(l.n_blk) * 4 : 0);
    l.off_bs = l.off_nb + (f.offset ? size_t(l.n_sum) * 4 : 0);
    const size_t end = l.off_bs + (f.has_bs ? size_t(l.n_sum) * 2 : 0);
    l.stride = (end + 63) / 64 * 64;
    return l;
}

// Where natural value i of a row is stored in q. Runs of 16 values (i % 16 == 0) stay contiguous.
constexpr int64_t xq_pos(xorder o, int64_t i) {
    switch (o) {
    case xorder::pairs32: {
        const int64_t g = i / 64, b = (i / 32) % 2, j = i % 32;
        return 64 * g + 32 * (j / 16) + 16 * b + j % 16;
    }
    case xorder::k4pairs: {
        const int64_t sb = i / 256, sub = (i / 32) % 8, j = i % 32;
        constexpr int slot[8] = {0, 2, 1, 3, 4, 6, 5, 7};
        return 256 * sb + 32 * slot[sub] + j;
    }
    default: return i;
    }
}

// Quantises one row given the level's two primitives (which must round identically):
//   float amax(const float * x, int n)                 max |x[i]|
//   void  round(const float * x, int n, float id, int8_t * q)   q[i] = nearest-even(x[i] * id)
// Writes every part of the row (padding included), so rows are fully defined bytes.
template <class prim>
void xq_quantize(dtype t, const float * x, int64_t n_in, uint8_t * out) {
    const xq_type f = xq_type_of(t);
    const xq_layout l = xq_layout_of(t, n_in);
    int8_t * q = reinterpret_cast<int8_t *>(out);
    float * dx = reinterpret_cast<float *>(out + l.off_dx);
    float * s = reinterpret_cast<float *>(out + l.off_s);
    int32_t * nb = reinterpret_cast<int32_t *>(out + l.off_nb);
    int16_t * bs = reinterpret_cast<int16_t *>(out + l.off_bs);
    int8_t tmp[256];
    for (int64_t i = n_in; i < l.n_q; i += 16) std::memset(q + xq_pos(f.order, i), 0, 16);
    for (int64_t b = 0; b < l.n_blk; ++b) {
        const float * xb = x + b * f.blk;
        const float amax = prim::amax(xb, f.blk);
        const float d = amax / 127.0f, id = amax > 0 ? 127.0f / amax : 0.0f;
        prim::round(xb, f.blk, id, tmp);
        dx[b] = d;
        for (int j = 0; j < f.blk; j += 16) std::memcpy(q + xq_pos(f.order, b * f.blk + j), tmp + j, 16);
        for (int u = 0; u < f.blk / f.sum; ++u) {
            int sum = 0;
            for (int j = 0; j < f.sum; ++j) sum += tmp[u * f.sum + j];
            const int64_t k = b * (f.blk / f.sum) + u;
            if (f.offset) nb[k] = -f.offset * sum;
            if (f.has_bs) bs[k] = int16_t(sum);
            if (f.has_s) s[b] = d * float(sum);
        }
    }
    const size_t end = l.off_bs + (f.has_bs ? size_t(l.n_sum) * 2 : 0);
    for (size_t i = end; i < l.stride; ++i) out[i] = 0;
}

}  // namespace tts::kernels::cpu
