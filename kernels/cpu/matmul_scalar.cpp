// matmul_scalar: portable kernels for every weight type (the fallback and the Q5 path).
//
// Quantised weights: activations become blocks of 32 int8 with scale d and s = d * sum(q).
// Each weight sub-block of 32 is unpacked to int w[32] plus float scale dw and min mw
// (value = dw * w + mw), so every type shares one inner loop:
//   acc += float(sum_i w[i] * q[i]) * (dw * dx) + mw * s.
// Float weights: the row is widened to f32 once and dotted with 8 partial sums.
#include <cmath>
#include <cstring>
#include <vector>

#include "kernels/cpu/blocks.h"
#include "kernels/cpu/dequant.h"
#include "kernels/cpu/fp16.h"
#include "kernels/cpu/matmul_kernels.h"

namespace tts::kernels::cpu {

namespace {

struct xblock {
    float d;        // scale
    float s;        // d * sum(q)
    int8_t q[32];
};

size_t xq_bytes(int64_t n_in) { return size_t(n_in / 32) * sizeof(xblock); }

void quantize(const float * x, int64_t n_in, uint8_t * out) {
    xblock * b = reinterpret_cast<xblock *>(out);
    for (int64_t i = 0; i < n_in / 32; ++i, x += 32) {
        float amax = 0;
        for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x[j]));
        const float d = amax / 127.0f, id = amax > 0 ? 127.0f / amax : 0.0f;
        int sum = 0;
        for (int j = 0; j < 32; ++j) {
            b[i].q[j] = int8_t(std::nearbyint(x[j] * id));
            sum += b[i].q[j];
        }
        b[i].d = d;
        b[i].s = d * float(sum);
    }
}

// One sub-block of 32 weight values: value[i] = dw * w[i] + mw.
struct wblock {
    int w[32];
    float dw, mw;
};

void unpack_nibbles(const uint8_t * qs, int * w) {
    for (int j = 0; j < 16; ++j) {
        w[j] = qs[j] & 15;
        w[j + 16] = qs[j] >> 4;
    }
}

// Sub-block k (of n_in / 32) of a row.
void unpack(dtype t, const uint8_t * row, int64_t k, wblock & o) {
    switch (t) {
    case dtype::q4_0: {
        const block_q4_0 & b = reinterpret_cast<const block_q4_0 *>(row)[k];
        unpack_nibbles(b.qs, o.w);
        for (int & v : o.w) v -= 8;
        o.dw = f16_to_f32(b.d);
        o.mw = 0;
        return;
    }
    case dtype::q4_1: {
        const block_q4_1 & b = reinterpret_cast<const block_q4_1 *>(row)[k];
        unpack_nibbles(b.qs, o.w);
        o.dw = f16_to_f32(b.d);
        o.mw = f16_to_f32(b.m);
        return;
    }
    case dtype::q5_0:
    case dtype::q5_1: {
        const bool has_min = t == dtype::q5_1;
        const uint8_t * b = row + k * (has_min ? 24 : 22);
        uint32_t qh;
        std::memcpy(&qh, b + (has_min ? 4 : 2), 4);
        unpack_nibbles(b + (has_min ? 8 : 6), o.w);
        for (int j = 0; j < 32; ++j) o.w[j] |= int((qh >> j) & 1) << 4;
        uint16_t d, m;
        std::memcpy(&d, b, 2);
        std::memcpy(&m, b + 2, 2);
        o.dw = f16_to_f32(d);
        o.mw = has_min ? f16_to_f32(m) : 0.0f;
        if (!has_min) for (int & v : o.w) v -= 16;
        return;
    }
    case dtype::q8_0: {
        const block_q8_0 & b = reinterpret_cast<const block_q8_0 *>(row)[k];
        for (int j = 0; j < 32; ++j) o.w[j] = b.qs[j];
        o.dw = f16_to_f32(b.d);
        o.mw = 0;
        return;
    }
    case dtype::q4_k: {
        const block_q4_k & b = reinterpret_cast<const block_q4_k *>(row)[k / 8];
        const int sub = int(k % 8);
        int sc, m;
        q4_k_scale_min(b.scales, sub, sc, m);
        for (int j = 0; j < 32; ++j) {
            const uint8_t byte = b.qs[32 * (sub / 2) + j];
            o.w[j] = sub % 2 ? byte >> 4 : byte & 15;
        }
        o.dw = f16_to_f32(b.d) * float(sc);
        o.mw = -f16_to_f32(b.dmin) * float(m);
        return;
    }
    case dtype::q6_k: {
        // Sub-block k covers 2 groups of 16 with their own int8 scales: fold them into w.
        const block_q6_k & b = reinterpret_cast<const block_q6_k *>(row)[k / 8];
        const int sub = int(k % 8), half = sub / 4, quarter = sub % 4;
        const uint8_t * ql = b.ql + 64 * half + 32 * (quarter % 2);
        const uint8_t * qh = b.qh + 32 * half;
        for (int j = 0; j < 32; ++j) {
            const int lo = quarter < 2 ? ql[j] & 15 : ql[j] >> 4;
            const int hi = (qh[j] >> (2 * quarter)) & 3;
            o.w[j] = ((lo | hi << 4) - 32) * b.scales[8 * half + 2 * quarter + j / 16];
        }
        o.dw = f16_to_f32(b.d);
        o.mw = 0;
        return;
    }
    default:
        break;
    }
}

void rows_quant(const mm_problem & p, int64_t r0, int64_t r1) {
    const weight_view & w = *p.w;
    const size_t rb = row_bytes(uint32_t(w.type), w.n_in);
    const int64_t nb = w.n_in / 32;
    std::vector<float> acc(size_t(p.n_tok));
    wblock wb;
    for (int64_t o = r0; o < r1; ++o) {
        const uint8_t * row = static_cast<const uint8_t *>(w.data) + size_t(o) * rb;
        std::fill(acc.begin(), acc.end(), 0.0f);
        for (int64_t k = 0; k < nb; ++k) {
            unpack(w.type, row, k, wb);
            for (int64_t t = 0; t < p.n_tok; ++t) {
                const xblock & xb = reinterpret_cast<const xblock *>(p.xq + t * p.xq_stride)[k];
                int32_t isum = 0;
                for (int j = 0; j < 32; ++j) isum += wb.w[j] * xb.q[j];
                acc[t] += float(isum) * (wb.dw * xb.d) + wb.mw * xb.s;
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

}  // namespace

mm_kernel mm_kernel_scalar(dtype t) {
    switch (t) {
    case dtype::f32: case dtype::f16: case dtype::bf16:
        return {nullptr, nullptr, rows_float};
    case dtype::q4_0: case dtype::q4_1: case dtype::q5_0: case dtype::q5_1: case dtype::q8_0:
    case dtype::q4_k: case dtype::q6_k:
        return {xq_bytes, quantize, rows_quant};
    default:
        return {};
    }
}

}  // namespace tts::kernels::cpu
