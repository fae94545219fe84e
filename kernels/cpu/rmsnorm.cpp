// rmsnorm: y = x / sqrt(mean(x^2) + eps) * w, one row at a time.
#include <cmath>

#include "kernels/cpu/ops.h"
#include "runtime/base/check.h"

namespace tts::kernels::cpu {

namespace {

// Sum of squares with 8 interleaved partial sums (vectorisable, fixed order per row).
float sum_squares(const float * x, int64_t n) {
    float part[8] = {};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        for (int j = 0; j < 8; ++j) part[j] += x[i + j] * x[i + j];
    }
    for (; i < n; ++i) part[0] += x[i] * x[i];
    return ((part[0] + part[4]) + (part[1] + part[5])) + ((part[2] + part[6]) + (part[3] + part[7]));
}

}  // namespace

void rmsnorm(const float * x, const float * w, float * y, int64_t n_rows, int64_t n_cols, float eps) {
    TTS_CHECK(n_rows >= 0 && n_cols > 0, "rmsnorm: bad shape %lld x %lld", (long long)n_rows, (long long)n_cols);
    for (int64_t r = 0; r < n_rows; ++r) {
        const float * xr = x + r * n_cols;
        float * yr = y + r * n_cols;
        const float scale = 1.0f / std::sqrt(sum_squares(xr, n_cols) / float(n_cols) + eps);
        for (int64_t i = 0; i < n_cols; ++i) yr[i] = xr[i] * scale * w[i];
    }
}

}  // namespace tts::kernels::cpu
