// row_math: the per-element and per-row arithmetic of RMSNorm and the SwiGLU gate, on host and
// device.
//
// RMSNorm of a row x[n]: thread tid of n_threads sums the squares of x[tid], x[tid +
// n_threads], ... with fmaf (sum_squares_strided); the block adds the partials in a fixed tree;
// then y[i] = x[i] * rms_scale(total) * w[i], the CPU's operation order.
#pragma once

#include <math.h>

#include <cstdint>

#include "kernels/cuda/math/hd.h"

namespace tts::kernels::cuda::math {

TTS_HD float sum_squares_strided(const float * x, int64_t n, int tid, int n_threads) {
    float s = 0.0f;
    for (int64_t i = tid; i < n; i += n_threads) s = fmaf(x[i], x[i], s);
    return s;
}

// 1 / sqrt(mean square + eps) for a row of n values whose squares sum to sum_sq.
TTS_HD float rms_scale(float sum_sq, int64_t n, float eps) { return 1.0f / sqrtf(sum_sq / float(n) + eps); }

TTS_HD float rms_apply(float x, float w, float scale) { return x * scale * w; }

// silu(g) * u = g / (1 + exp(-g)) * u.
TTS_HD float silu_mul(float g, float u) { return g / (1.0f + expf(-g)) * u; }

}  // namespace tts::kernels::cuda::math
