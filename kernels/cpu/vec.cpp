// vec: scalar table (libm exp, f64 sums in index order) and level dispatch.
#include "kernels/cpu/vec.h"

#include <cmath>

namespace tts::kernels::cpu {

namespace {

void silu_mul_scalar(const float * gate, const float * up, float * out, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
        const float g = gate[i];
        out[i] = g / (1.0f + std::exp(-g)) * up[i];
    }
}

double exp_sum_scalar(const float * x, int64_t n, float c, float s, float * y) {
    double sum = 0;
    for (int64_t i = 0; i < n; ++i) sum += (y[i] = std::exp((x[i] - c) * s));
    return sum;
}

void exp_moments_scalar(const float * x, int64_t n, float c, double * z, double * ez) {
    double a = 0, b = 0;
    for (int64_t i = 0; i < n; ++i) {
        const float d = std::fmax(x[i] - c, -200.0f), e = std::exp(d);   // -inf adds 0, not NaN
        a += e;
        b += double(e) * d;
    }
    *z = a;
    *ez = b;
}

int64_t argmax_scalar(const float * x, int64_t n) {
    int64_t best = 0;
    for (int64_t i = 1; i < n; ++i)
        if (x[i] > x[best]) best = i;
    return best;
}

int64_t select_ge_scalar(const float * x, int64_t n, float t, int32_t * idx) {
    int64_t k = 0;
    for (int64_t i = 0; i < n; ++i)
        if (x[i] >= t) idx[k++] = int32_t(i);
    return k;
}

constexpr vec_ops k_scalar{silu_mul_scalar, exp_sum_scalar, exp_moments_scalar, argmax_scalar, select_ge_scalar};

}  // namespace

const vec_ops & vec_ops_for(simd_level level) {
    switch (level) {
    case simd_level::avx512: return detail::vec_ops_avx512();
    case simd_level::avx2: return detail::vec_ops_avx2();
    default: return k_scalar;
    }
}

}  // namespace tts::kernels::cpu
