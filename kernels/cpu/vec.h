// vec: element-wise f32 loops of the forward pass and the sampler (SwiGLU gate, exponentials
// with their sums, argmax), one table per SIMD level.
//
// Ops that are not matmul or attention take their inner loops from here, so the intrinsics
// live in vec_avx2.cpp / vec_avx512.cpp and the callers stay ISA-free. Each function computes
// element i with a fixed sequence of operations for a given level, and every sum has a fixed
// order for a given n, so results do not depend on the caller's batch. Levels differ from
// each other (polynomial exp vs libm, summation order) within ~1e-6 relative.
#pragma once

#include <cstdint>

#include "kernels/cpu/simd_level.h"

namespace tts::kernels::cpu {

struct vec_ops {
    // out[n] = gate[n] * sigmoid(gate[n]) * up[n]. out may alias gate or up.
    void (*silu_mul)(const float * gate, const float * up, float * out, int64_t n);
    // y[n] = e^((x[n] - c) * s); returns sum y (f32 terms added in f64). y may alias x.
    double (*exp_sum)(const float * x, int64_t n, float c, float s, float * y);
    // z = sum e^(x - c), ez = sum e^(x - c) * (x - c) over x[0, n) (f32 terms, f64 sums):
    // log-sum-exp and entropy of a row of logits without storing it.
    void (*exp_moments)(const float * x, int64_t n, float c, double * z, double * ez);
    // Index of the largest x (the lowest index among equals). REQUIRES n >= 1, no NaN.
    int64_t (*argmax)(const float * x, int64_t n);
    // Writes the indices i with x[i] >= t, ascending, to idx; returns how many. idx: [n].
    int64_t (*select_ge)(const float * x, int64_t n, float t, int32_t * idx);
};

const vec_ops & vec_ops_for(simd_level level);

namespace detail {
const vec_ops & vec_ops_avx2();
const vec_ops & vec_ops_avx512();
}  // namespace detail

}  // namespace tts::kernels::cpu
