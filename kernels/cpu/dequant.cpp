// dequant: per-block scalar decoders over the blocks.h layouts.
#include "kernels/cpu/dequant.h"

#include <cstring>

#include "kernels/cpu/blocks.h"
#include "kernels/cpu/fp16.h"
#include "runtime/base/check.h"

namespace tts::kernels::cpu {

namespace {

void q4_0(const block_q4_0 & b, float * y) {
    const float d = f16_to_f32(b.d);
    for (int j = 0; j < 16; ++j) {
        y[j] = d * float((b.qs[j] & 15) - 8);
        y[j + 16] = d * float((b.qs[j] >> 4) - 8);
    }
}

void q4_1(const block_q4_1 & b, float * y) {
    const float d = f16_to_f32(b.d), m = f16_to_f32(b.m);
    for (int j = 0; j < 16; ++j) {
        y[j] = d * float(b.qs[j] & 15) + m;
        y[j + 16] = d * float(b.qs[j] >> 4) + m;
    }
}

template <typename B, bool has_min>
void q5(const B & b, float * y) {
    uint32_t qh;
    std::memcpy(&qh, b.qh, 4);
    const float d = f16_to_f32(b.d);
    float m = 0;
    if constexpr (has_min) m = f16_to_f32(b.m);
    for (int j = 0; j < 16; ++j) {
        const int q0 = (b.qs[j] & 15) | int((qh >> j) & 1) << 4;
        const int q1 = (b.qs[j] >> 4) | int((qh >> (j + 16)) & 1) << 4;
        y[j] = has_min ? d * float(q0) + m : d * float(q0 - 16);
        y[j + 16] = has_min ? d * float(q1) + m : d * float(q1 - 16);
    }
}

void q8_0(const block_q8_0 & b, float * y) {
    const float d = f16_to_f32(b.d);
    for (int j = 0; j < 32; ++j) y[j] = d * float(b.qs[j]);
}

void q4_k(const block_q4_k & b, float * y) {
    const float d = f16_to_f32(b.d), dmin = f16_to_f32(b.dmin);
    for (int c = 0; c < 4; ++c) {
        int sc0, m0, sc1, m1;
        q4_k_scale_min(b.scales, 2 * c, sc0, m0);
        q4_k_scale_min(b.scales, 2 * c + 1, sc1, m1);
        for (int l = 0; l < 32; ++l) {
            y[64 * c + l] = d * float(sc0) * float(b.qs[32 * c + l] & 15) - dmin * float(m0);
            y[64 * c + 32 + l] = d * float(sc1) * float(b.qs[32 * c + l] >> 4) - dmin * float(m1);
        }
    }
}

void q5_k(const block_q5_k & b, float * y) {
    const float d = f16_to_f32(b.d), dmin = f16_to_f32(b.dmin);
    for (int c = 0; c < 4; ++c) {
        int sc0, m0, sc1, m1;
        q4_k_scale_min(b.scales, 2 * c, sc0, m0);
        q4_k_scale_min(b.scales, 2 * c + 1, sc1, m1);
        for (int l = 0; l < 32; ++l) {
            const int q0 = (b.qs[32 * c + l] & 15) | ((b.qh[l] >> (2 * c)) & 1) << 4;
            const int q1 = (b.qs[32 * c + l] >> 4) | ((b.qh[l] >> (2 * c + 1)) & 1) << 4;
            y[64 * c + l] = d * float(sc0) * float(q0) - dmin * float(m0);
            y[64 * c + 32 + l] = d * float(sc1) * float(q1) - dmin * float(m1);
        }
    }
}

void q6_k(const block_q6_k & b, float * y) {
    const float d = f16_to_f32(b.d);
    for (int n = 0; n < 2; ++n) {
        const uint8_t * ql = b.ql + 64 * n;
        const uint8_t * qh = b.qh + 32 * n;
        const int8_t * sc = b.scales + 8 * n;
        for (int l = 0; l < 32; ++l) {
            const int is = l / 16;
            y[128 * n + l] = d * float(sc[is]) * float(((ql[l] & 15) | ((qh[l] & 3) << 4)) - 32);
            y[128 * n + l + 32] = d * float(sc[is + 2]) * float(((ql[l + 32] & 15) | (((qh[l] >> 2) & 3) << 4)) - 32);
            y[128 * n + l + 64] = d * float(sc[is + 4]) * float(((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32);
            y[128 * n + l + 96] = d * float(sc[is + 6]) * float(((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32);
        }
    }
}

template <typename B, void (*fn)(const B &, float *)>
void blocks(const void * row, float * out, int64_t n, int64_t per_block) {
    const B * b = static_cast<const B *>(row);
    for (int64_t i = 0; i < n / per_block; ++i) fn(b[i], out + i * per_block);
}

}  // namespace

void dequantize_row(dtype t, const void * row, float * out, int64_t n) {
    const int64_t be = block_elems(uint32_t(t));
    TTS_CHECK(be > 0 && n % be == 0, "row of %lld values is not whole %s blocks", (long long)n,
              dtype_name(uint32_t(t)));
    const uint16_t * h = static_cast<const uint16_t *>(row);
    switch (t) {
    case dtype::f32: std::memcpy(out, row, size_t(n) * sizeof(float)); return;
    case dtype::f16: for (int64_t i = 0; i < n; ++i) out[i] = f16_to_f32(h[i]); return;
    case dtype::bf16: for (int64_t i = 0; i < n; ++i) out[i] = bf16_to_f32(h[i]); return;
    case dtype::q4_0: return blocks<block_q4_0, q4_0>(row, out, n, 32);
    case dtype::q4_1: return blocks<block_q4_1, q4_1>(row, out, n, 32);
    case dtype::q5_0: return blocks<block_q5_0, q5<block_q5_0, false>>(row, out, n, 32);
    case dtype::q5_1: return blocks<block_q5_1, q5<block_q5_1, true>>(row, out, n, 32);
    case dtype::q8_0: return blocks<block_q8_0, q8_0>(row, out, n, 32);
    case dtype::q4_k: return blocks<block_q4_k, q4_k>(row, out, n, 256);
    case dtype::q5_k: return blocks<block_q5_k, q5_k>(row, out, n, 256);
    case dtype::q6_k: return blocks<block_q6_k, q6_k>(row, out, n, 256);
    default: TTS_CHECK(false, "unsupported weight type %s reached a kernel", dtype_name(uint32_t(t)));
    }
}

}  // namespace tts::kernels::cpu
