// rmsnorm: block-per-row kernel; see rmsnorm.cuh.
#include "kernels/cuda/common.cuh"
#include "kernels/cuda/math/row_math.h"
#include "kernels/cuda/rmsnorm.cuh"

namespace tts::kernels::cuda {

namespace {

__global__ void __launch_bounds__(k_rmsnorm_threads)
    rmsnorm_kernel(const float * x, const float * __restrict__ w, float * y, int64_t n_cols, float eps) {
    __shared__ float smem[k_rmsnorm_threads];
    const float * xr = x + int64_t(blockIdx.x) * n_cols;
    float * yr = y + int64_t(blockIdx.x) * n_cols;
    const int tid = int(threadIdx.x);
    const float ss = block_sum<k_rmsnorm_threads>(math::sum_squares_strided(xr, n_cols, tid, k_rmsnorm_threads), smem);
    const float scale = math::rms_scale(ss, n_cols, eps);
    for (int64_t i = tid; i < n_cols; i += k_rmsnorm_threads) yr[i] = math::rms_apply(xr[i], w[i], scale);
}

}  // namespace

void rmsnorm(const float * x, const float * w, float * y, int64_t n_rows, int64_t n_cols, float eps, cudaStream_t s) {
    TTS_CHECK(n_rows >= 0 && n_cols > 0 && n_rows < (int64_t(1) << 31), "rmsnorm: bad shape %lld x %lld",
              (long long)n_rows, (long long)n_cols);
    if (n_rows == 0) return;
    rmsnorm_kernel<<<unsigned(n_rows), k_rmsnorm_threads, 0, s>>>(x, w, y, n_cols, eps);
    TTS_CUDA_LAUNCHED();
}

}  // namespace tts::kernels::cuda
