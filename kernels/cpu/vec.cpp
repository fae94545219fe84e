// vec: scalar table and level dispatch.
#include "kernels/cpu/vec.h"

#include "kernels/cpu/fp16.h"

namespace tts::kernels::cpu {

namespace {

void f16_to_f32_scalar(const uint16_t * x, float * y, int64_t n) {
    for (int64_t i = 0; i < n; ++i) y[i] = f16_to_f32(x[i]);
}

float dot_scalar(const float * a, const float * b, int64_t n) {
    float part[4] = {};
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        for (int j = 0; j < 4; ++j) part[j] += a[i + j] * b[i + j];
    }
    for (; i < n; ++i) part[0] += a[i] * b[i];
    return (part[0] + part[1]) + (part[2] + part[3]);
}

void axpy_scalar(float a, const float * x, float * y, int64_t n) {
    for (int64_t i = 0; i < n; ++i) y[i] += a * x[i];
}

void scale_scalar(float * y, float a, int64_t n) {
    for (int64_t i = 0; i < n; ++i) y[i] *= a;
}

constexpr vec_ops k_scalar{f16_to_f32_scalar, dot_scalar, axpy_scalar, scale_scalar};

}  // namespace

const vec_ops & vec_ops_for(simd_level level) {
    return level == simd_level::scalar ? k_scalar : detail::vec_ops_avx2();
}

}  // namespace tts::kernels::cpu
