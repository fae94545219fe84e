// cublas_context: the one cuBLAS handle of a CUDA backend, bound to its stream.
//
// Owns the handle (created on construction, destroyed with the object). FP32 GEMMs run with
// CUBLAS_DEFAULT_MATH (no TF32 down-conversion). Not thread-safe: the engine thread only.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime_api.h>

namespace tts::kernels::cuda {

class cublas_context {
public:
    explicit cublas_context(cudaStream_t s);
    ~cublas_context();
    cublas_context(const cublas_context &) = delete;
    cublas_context & operator=(const cublas_context &) = delete;

    cudaStream_t stream() const { return stream_; }
    cublasHandle_t handle() const { return handle_; }

    // Column-major C[m, n] = A^T * B with A [k, m] (lda), B [k, n] (ldb), C (ldc); f32.
    void sgemm_tn(int m, int n, int k, const float * a, int lda, const float * b, int ldb, float * c, int ldc);

private:
    cudaStream_t stream_;
    cublasHandle_t handle_ = nullptr;
};

}  // namespace tts::kernels::cuda
