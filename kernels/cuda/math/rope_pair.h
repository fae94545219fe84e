// rope_pair: rotary position embedding of one (even, odd) pair, on host and device.
//
// Pair i of a head of head_dim values is (2i, 2i + 1) in normal (llama) mode and (i, i + d/2)
// in neox (qwen2/3) mode. The angle pos * base^(-2i/d) is computed in double, as the CPU
// backend does, so long positions keep their precision; cos and sin are rounded to float and
// the rotation itself is float, in the CPU's operation order.
#pragma once

#include <math.h>

#include <cstdint>

#include "kernels/cuda/math/hd.h"

namespace tts::kernels::cuda::math {

// Indices of pair i's two elements within a head.
TTS_HD int rope_first(bool is_neox, int i) { return is_neox ? i : 2 * i; }
TTS_HD int rope_second(bool is_neox, int i, int head_dim) { return is_neox ? i + head_dim / 2 : 2 * i + 1; }

TTS_HD void rope_cos_sin(int32_t pos, int i, int head_dim, float freq_base, float & cs, float & sn) {
    const double inv_freq = pow(double(freq_base), -2.0 * double(i) / double(head_dim));
    const double theta = double(pos) * inv_freq;
    cs = float(cos(theta));
    sn = float(sin(theta));
}

// (a, b) := (a cos - b sin, a sin + b cos).
TTS_HD void rope_rotate(float & a, float & b, float cs, float sn) {
    const float x0 = a, x1 = b;
    a = x0 * cs - x1 * sn;
    b = x0 * sn + x1 * cs;
}

}  // namespace tts::kernels::cuda::math
