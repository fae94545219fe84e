// vec: small f32/f16 vector loops (dot, axpy, scale, f16 widening), one table per SIMD level.
//
// Ops that are not matmul (attention, for now) take their inner loops from here, so the
// intrinsics live in vec_avx2.cpp and the op files stay ISA-free. Each function has a fixed
// accumulation order for a given level, so results do not depend on the caller's batch.
#pragma once

#include <cstdint>

#include "kernels/cpu/simd_level.h"

namespace tts::kernels::cpu {

struct vec_ops {
    void (*f16_to_f32)(const uint16_t * x, float * y, int64_t n);   // y[n] = x[n]
    float (*dot)(const float * a, const float * b, int64_t n);      // sum a[i] * b[i]
    void (*axpy)(float a, const float * x, float * y, int64_t n);   // y[n] += a * x[n]
    void (*scale)(float * y, float a, int64_t n);                   // y[n] *= a
};

// The table for a level (avx512 uses the avx2 table: these loops are not the bottleneck).
const vec_ops & vec_ops_for(simd_level level);

namespace detail {
const vec_ops & vec_ops_avx2();
}

}  // namespace tts::kernels::cpu
