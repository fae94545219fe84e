// vec_avx2: AVX2/FMA/F16C versions of the vec_ops loops (compiled with -mavx2 -mfma -mf16c).
#include <immintrin.h>

#include "kernels/cpu/fp16.h"
#include "kernels/cpu/simd.h"
#include "kernels/cpu/vec.h"

namespace tts::kernels::cpu {

namespace {

void f16_to_f32_avx2(const uint16_t * x, float * y, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        _mm256_storeu_ps(y + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i *>(x + i))));
    }
    for (; i < n; ++i) y[i] = f16_to_f32(x[i]);
}

float dot_avx2(const float * a, const float * b, int64_t n) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
    }
    for (; i + 8 <= n; i += 8) acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
    float s = simd::hsum(_mm256_add_ps(acc0, acc1));
    for (; i < n; ++i) s += a[i] * b[i];
    return s;
}

void axpy_avx2(float a, const float * x, float * y, int64_t n) {
    const __m256 va = _mm256_set1_ps(a);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        _mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
    }
    for (; i < n; ++i) y[i] += a * x[i];
}

void scale_avx2(float * y, float a, int64_t n) {
    const __m256 va = _mm256_set1_ps(a);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_mul_ps(va, _mm256_loadu_ps(y + i)));
    for (; i < n; ++i) y[i] *= a;
}

constexpr vec_ops k_avx2{f16_to_f32_avx2, dot_avx2, axpy_avx2, scale_avx2};

}  // namespace

const vec_ops & detail::vec_ops_avx2() { return k_avx2; }

}  // namespace tts::kernels::cpu
