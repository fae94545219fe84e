// matmul_scalar: portable kernels for every weight type (the fallback, and the plain statement
// of the arithmetic contract in matmul_format.h that the SIMD levels reproduce bit for bit).
//
// Quantised weights: one scale block of a row (32 values, or a 256-value K super-block) is
// unpacked to ints once and dotted with every token's quantised activations. Float weights:
// the row is widened to f32 once and dotted with 8 partial sums.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "kernels/cpu/blocks.h"
#include "kernels/cpu/dequant.h"
#include "kernels/cpu/fp16.h"
#include "kernels/cpu/matmul_format.h"
#include "kernels/cpu/matmul_kernels.h"

namespace tts::kernels::cpu {

namespace {

struct scalar_prim {
    static float amax(const float * x, int n) {
        float m = 0;
        for (int i = 0; i < n; ++i) m = std::max(m, std::fabs(x[i]));
        return m;
    }
    static void round(const float * x, int n, float id, int8_t * q) {
        for (int i = 0; i < n; ++i) q[i] = int8_t(std::nearbyint(x[i] * id));
    }
};

template <dtype T>
size_t xq_bytes(int64_t n_in) { return xq_layout_of(T, n_in).stride; }

template <dtype T>
void quantize(const float * x, int64_t n_in, uint8_t * out) { xq_quantize<scalar_prim>(T, x, n_in, out); }

// One scale block of a weight row, in natural value order.
struct wblock {
    int w[256];        // 32-value types: w - K (signed); K-quants: the stored value (Q6_K: minus 32)
    int sc[16], mn[8]; // K-quants: sub-block scales (8 for Q4_K/Q5_K, 16 for Q6_K) and mins
    float d, m;        // 32-value: dw and mw; K-quants: d and -dmin
};

void nibbles(const uint8_t * qs, int * w) {
    for (int j = 0; j < 16; ++j) {
        w[j] = qs[j] & 15;
        w[j + 16] = qs[j] >> 4;
    }
}

void high_bits(const uint8_t * qh4, int * w) {
    uint32_t qh;
    std::memcpy(&qh, qh4, 4);
    for (int j = 0; j < 32; ++j) w[j] |= int((qh >> j) & 1) << 4;
}

template <dtype T>
void unpack(const uint8_t * row, int64_t b, wblock & o) {
    o.m = 0;
    if constexpr (T == dtype::q4_0 || T == dtype::q4_1) {
        const block_q4_1 * b1 = reinterpret_cast<const block_q4_1 *>(row) + b;
        const block_q4_0 * b0 = reinterpret_cast<const block_q4_0 *>(row) + b;
        nibbles(T == dtype::q4_0 ? b0->qs : b1->qs, o.w);
        o.d = f16_to_f32(T == dtype::q4_0 ? b0->d : b1->d);
        if (T == dtype::q4_1) o.m = f16_to_f32(b1->m);
        else for (int j = 0; j < 32; ++j) o.w[j] -= 8;
    } else if constexpr (T == dtype::q5_0) {
        const block_q5_0 & k = reinterpret_cast<const block_q5_0 *>(row)[b];
        nibbles(k.qs, o.w);
        high_bits(k.qh, o.w);
        for (int j = 0; j < 32; ++j) o.w[j] -= 16;
        o.d = f16_to_f32(k.d);
    } else if constexpr (T == dtype::q5_1) {
        const block_q5_1 & k = reinterpret_cast<const block_q5_1 *>(row)[b];
        nibbles(k.qs, o.w);
        high_bits(k.qh, o.w);
        o.d = f16_to_f32(k.d);
        o.m = f16_to_f32(k.m);
    } else if constexpr (T == dtype::q8_0) {
        const block_q8_0 & k = reinterpret_cast<const block_q8_0 *>(row)[b];
        for (int j = 0; j < 32; ++j) o.w[j] = k.qs[j];
        o.d = f16_to_f32(k.d);
    } else if constexpr (T == dtype::q4_k || T == dtype::q5_k) {
        constexpr bool five = T == dtype::q5_k;
        const block_q4_k * k4 = reinterpret_cast<const block_q4_k *>(row) + b;
        const block_q5_k * k5 = reinterpret_cast<const block_q5_k *>(row) + b;
        const uint8_t * qs = five ? k5->qs : k4->qs;
        const uint8_t * scales = five ? k5->scales : k4->scales;
        for (int sub = 0; sub < 8; ++sub) {
            q4_k_scale_min(scales, sub, o.sc[sub], o.mn[sub]);
            for (int l = 0; l < 32; ++l) {
                const uint8_t byte = qs[32 * (sub / 2) + l];
                int v = sub % 2 ? byte >> 4 : byte & 15;
                if (five) v |= ((k5->qh[l] >> sub) & 1) << 4;
                o.w[32 * sub + l] = v;
            }
        }
        o.d = f16_to_f32(five ? k5->d : k4->d);
        o.m = -f16_to_f32(five ? k5->dmin : k4->dmin);
    } else if constexpr (T == dtype::q6_k) {
        const block_q6_k & k = reinterpret_cast<const block_q6_k *>(row)[b];
        for (int i = 0; i < 256; ++i) {
            const int half = i / 128, quarter = (i % 128) / 32, l = i % 32;
            const uint8_t lbyte = k.ql[64 * half + 32 * (quarter % 2) + l];
            const int lo = quarter < 2 ? lbyte & 15 : lbyte >> 4;
            const int hi = (k.qh[32 * half + l] >> (2 * quarter)) & 3;
            o.w[i] = (lo | hi << 4) - 32;
        }
        for (int j = 0; j < 16; ++j) o.sc[j] = k.scales[j];
        o.d = f16_to_f32(k.d);
    }
}

// sum(w[i] * q at natural positions v0 .. v0 + n) for a quantised activation row.
int dot(const int * w, const int8_t * xq, xorder order, int64_t v0, int n) {
    int s = 0;
    for (int r = 0; r < n; r += 16) {
        const int8_t * q = xq + xq_pos(order, v0 + r);
        for (int j = 0; j < 16; ++j) s += w[r + j] * q[j];
    }
    return s;
}

template <dtype T>
void rows_quant(const mm_problem & p, int64_t r0, int64_t r1) {
    const weight_view & w = *p.w;
    constexpr xq_type f = xq_type_of(T);
    const xq_layout l = xq_layout_of(T, w.n_in);
    const size_t rb = row_bytes(uint32_t(T), w.n_in);
    std::vector<float> acc(size_t(p.n_tok));
    wblock wb;
    for (int64_t o = r0; o < r1; ++o) {
        const uint8_t * row = static_cast<const uint8_t *>(w.data) + size_t(o) * rb;
        std::fill(acc.begin(), acc.end(), 0.0f);
        for (int64_t b = 0; b < l.n_blk; ++b) {
            unpack<T>(row, b, wb);
            for (int64_t t = 0; t < p.n_tok; ++t) {
                const uint8_t * xr = p.xq + t * p.xq_stride;
                const int8_t * xq = reinterpret_cast<const int8_t *>(xr);
                const float dx = reinterpret_cast<const float *>(xr + l.off_dx)[b];
                if constexpr (f.blk == 32) {
                    acc[t] = std::fma(float(dot(wb.w, xq, f.order, 32 * b, 32)), wb.d * dx, acc[t]);
                    if constexpr (f.has_s) acc[t] = std::fma(wb.m, reinterpret_cast<const float *>(xr + l.off_s)[b], acc[t]);
                } else {
                    constexpr int n_sub = 256 / f.sum;
                    int32_t isum = 0, imin = 0;
                    for (int j = 0; j < n_sub; ++j) isum += wb.sc[j] * dot(wb.w + j * f.sum, xq, f.order, 256 * b + j * f.sum, f.sum);
                    acc[t] = std::fma(float(isum), wb.d * dx, acc[t]);
                    if constexpr (T != dtype::q6_k) {
                        const int16_t * bs = reinterpret_cast<const int16_t *>(xr + l.off_bs) + 8 * b;
                        for (int j = 0; j < 8; ++j) imin += wb.mn[j] * bs[j];
                        acc[t] = std::fma(float(imin), wb.m * dx, acc[t]);
                    }
                }
            }
        }
        for (int64_t t = 0; t < p.n_tok; ++t) p.y[t * w.n_out + o] = acc[t];
    }
}

float dot8(const float * a, const float * b, int64_t n) {
    float part[8] = {};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        for (int j = 0; j < 8; ++j) part[j] += a[i + j] * b[i + j];
    }
    for (; i < n; ++i) part[0] += a[i] * b[i];
    return ((part[0] + part[4]) + (part[1] + part[5])) + ((part[2] + part[6]) + (part[3] + part[7]));
}

void rows_float(const mm_problem & p, int64_t r0, int64_t r1) {
    const weight_view & w = *p.w;
    const size_t rb = row_bytes(uint32_t(w.type), w.n_in);
    std::vector<float> row(size_t(w.n_in));
    for (int64_t o = r0; o < r1; ++o) {
        dequantize_row(w.type, static_cast<const uint8_t *>(w.data) + size_t(o) * rb, row.data(), w.n_in);
        for (int64_t t = 0; t < p.n_tok; ++t) p.y[t * w.n_out + o] = dot8(row.data(), p.x + t * w.n_in, w.n_in);
    }
}

template <dtype T>
mm_kernel quant_kernel() { return {xq_bytes<T>, quantize<T>, rows_quant<T>}; }

}  // namespace

mm_kernel mm_kernel_scalar(dtype t) {
    switch (t) {
    case dtype::f32: case dtype::f16: case dtype::bf16:
        return {nullptr, nullptr, rows_float};
    case dtype::q4_0: return quant_kernel<dtype::q4_0>();
    case dtype::q4_1: return quant_kernel<dtype::q4_1>();
    case dtype::q5_0: return quant_kernel<dtype::q5_0>();
    case dtype::q5_1: return quant_kernel<dtype::q5_1>();
    case dtype::q8_0: return quant_kernel<dtype::q8_0>();
    case dtype::q4_k: return quant_kernel<dtype::q4_k>();
    case dtype::q5_k: return quant_kernel<dtype::q5_k>();
    case dtype::q6_k: return quant_kernel<dtype::q6_k>();
    default:
        return {};
    }
}

}  // namespace tts::kernels::cpu
