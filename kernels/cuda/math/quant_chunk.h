// quant_chunk: a weight row seen as chunks of 32 values — dequantisation and dot product of one
// chunk, for every weight type the runtime loads, on host and device.
//
// Chunk c of a row holds values [32c, 32c + 32). For 32-value block types (Q4_0, Q4_1, Q5_0,
// Q5_1, Q8_0) a chunk is one block; for the K-quants (Q4_K, Q6_K: 256-value super-blocks) it is
// one eighth of a super-block; for F32/F16/BF16 it is 32 consecutive elements. So a GPU lane
// can own any chunk of any type, and rows need only be a multiple of 32 long. Block layouts
// are kernels/cpu/blocks.h (GGUF's); each value is computed with the same float operations in
// the same order as kernels/ref, so dequantisation is bit-exact against it.
//
// dot_chunk folds the 32 products into four interleaved fmaf() accumulators, summed
// ((a0 + a1) + (a2 + a3)): a fixed order per chunk, whatever the batch around it.
#pragma once

#include <math.h>

#include <cstdint>
#include <type_traits>

#include "kernels/cpu/blocks.h"
#include "kernels/dtype.h"
#include "kernels/cuda/math/half.h"

namespace tts::kernels::cuda::math {

constexpr int k_chunk = 32;   // values per chunk

// Scale and min (6 bits each) of sub-block j in [0, 8) of a q4_k super-block.
TTS_HD void q4_k_scale_min(const uint8_t * s, int j, int & sc, int & m) {
    if (j < 4) {
        sc = s[j] & 63;
        m = s[j + 4] & 63;
    } else {
        sc = (s[j + 4] & 0x0f) | ((s[j - 4] >> 6) << 4);
        m = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
    }
}

// y[32] = values [32c, 32c + 32) of a row of type T starting at `row`.
template <dtype T>
TTS_HD void dequant_chunk(const uint8_t * row, int64_t c, float * y) {
    using namespace tts::kernels::cpu;
    if constexpr (T == dtype::f32) {
        const float * p = reinterpret_cast<const float *>(row) + c * k_chunk;
        TTS_UNROLL
        for (int j = 0; j < 32; ++j) y[j] = p[j];
    } else if constexpr (T == dtype::f16 || T == dtype::bf16) {
        const uint16_t * p = reinterpret_cast<const uint16_t *>(row) + c * k_chunk;
        TTS_UNROLL
        for (int j = 0; j < 32; ++j) y[j] = T == dtype::f16 ? f16_to_f32(p[j]) : bf16_to_f32(p[j]);
    } else if constexpr (T == dtype::q4_0) {
        const block_q4_0 & b = reinterpret_cast<const block_q4_0 *>(row)[c];
        const float d = f16_to_f32(b.d);
        TTS_UNROLL
        for (int j = 0; j < 16; ++j) {
            y[j] = d * float((b.qs[j] & 15) - 8);
            y[j + 16] = d * float((b.qs[j] >> 4) - 8);
        }
    } else if constexpr (T == dtype::q4_1) {
        const block_q4_1 & b = reinterpret_cast<const block_q4_1 *>(row)[c];
        const float d = f16_to_f32(b.d), m = f16_to_f32(b.m);
        TTS_UNROLL
        for (int j = 0; j < 16; ++j) {
            y[j] = d * float(b.qs[j] & 15) + m;
            y[j + 16] = d * float(b.qs[j] >> 4) + m;
        }
    } else if constexpr (T == dtype::q5_0 || T == dtype::q5_1) {
        using B = std::conditional_t<T == dtype::q5_0, block_q5_0, block_q5_1>;
        const B & b = reinterpret_cast<const B *>(row)[c];
        const uint32_t qh = uint32_t(b.qh[0]) | uint32_t(b.qh[1]) << 8 | uint32_t(b.qh[2]) << 16 | uint32_t(b.qh[3]) << 24;
        const float d = f16_to_f32(b.d);
        TTS_UNROLL
        for (int j = 0; j < 16; ++j) {
            const int q0 = (b.qs[j] & 15) | int((qh >> j) & 1) << 4;
            const int q1 = (b.qs[j] >> 4) | int((qh >> (j + 16)) & 1) << 4;
            if constexpr (T == dtype::q5_0) {
                y[j] = d * float(q0 - 16);
                y[j + 16] = d * float(q1 - 16);
            } else {
                const float m = f16_to_f32(b.m);
                y[j] = d * float(q0) + m;
                y[j + 16] = d * float(q1) + m;
            }
        }
    } else if constexpr (T == dtype::q8_0) {
        const block_q8_0 & b = reinterpret_cast<const block_q8_0 *>(row)[c];
        const float d = f16_to_f32(b.d);
        TTS_UNROLL
        for (int j = 0; j < 32; ++j) y[j] = d * float(b.qs[j]);
    } else if constexpr (T == dtype::q4_k) {
        // Sub-block j of super-block c / 8: nibbles of qs[32 (j / 2) ..], low for even j.
        const block_q4_k & b = reinterpret_cast<const block_q4_k *>(row)[c / 8];
        const int j = int(c % 8);
        int sc, m;
        q4_k_scale_min(b.scales, j, sc, m);
        const float d = f16_to_f32(b.d), dmin = f16_to_f32(b.dmin);
        const uint8_t * qs = b.qs + 32 * (j / 2);
        const int shift = (j % 2) * 4;
        TTS_UNROLL
        for (int l = 0; l < 32; ++l) y[l] = d * float(sc) * float((qs[l] >> shift) & 15) - dmin * float(m);
    } else if constexpr (T == dtype::q6_k) {
        // Eighth j of super-block c / 8: half n = j / 4 (128 values), quarter r = j % 4.
        // Low 4 bits: ql[64n + 32 (r % 2) + l], low nibble for r < 2; high 2 bits: qh[32n + l]
        // at bit 2r; int8 scale per 16 values: scales[8n + 2r + l / 16].
        const block_q6_k & b = reinterpret_cast<const block_q6_k *>(row)[c / 8];
        const int j = int(c % 8), n = j / 4, r = j % 4;
        const float d = f16_to_f32(b.d);
        const uint8_t * ql = b.ql + 64 * n + 32 * (r % 2);
        const uint8_t * qh = b.qh + 32 * n;
        const int8_t * sc = b.scales + 8 * n + 2 * r;
        const int lshift = r < 2 ? 0 : 4;
        TTS_UNROLL
        for (int l = 0; l < 32; ++l) {
            const int q = ((ql[l] >> lshift) & 15) | (((qh[l] >> (2 * r)) & 3) << 4);
            y[l] = d * float(sc[l / 16]) * float(q - 32);
        }
    } else {
        static_assert(T == dtype::f32, "dequant_chunk: type not shipped");
    }
}

// sum_j w[j] * x[j] over one chunk, in the fixed order described above.
TTS_HD float dot_chunk(const float * w, const float * x) {
    float a[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    TTS_UNROLL
    for (int j = 0; j < 32; j += 4) {
        TTS_UNROLL
        for (int k = 0; k < 4; ++k) a[k] = fmaf(w[j + k], x[j + k], a[k]);
    }
    return (a[0] + a[1]) + (a[2] + a[3]);
}

// One lane's share of a row dot product: the sum over chunks c = lane, lane + n_lanes, ... of
// dot_chunk, in increasing c. The matmul kernel runs this per lane (dequantising each chunk
// once for all tokens of its tile) and then sums the 32 lanes with warp_sum; host twin: butterfly_sum32 in reduce.h).
template <dtype T>
TTS_HD float lane_dot(const uint8_t * row, int64_t n_chunks, const float * x, int lane, int n_lanes) {
    float acc = 0.0f, w[32];
    for (int64_t c = lane; c < n_chunks; c += n_lanes) {
        dequant_chunk<T>(row, c, w);
        acc += dot_chunk(w, x + c * k_chunk);
    }
    return acc;
}

}  // namespace tts::kernels::cuda::math
