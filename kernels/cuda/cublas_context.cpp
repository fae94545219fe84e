// cublas_context: handle lifetime and the one GEMM shape the backend uses.
#include "kernels/cuda/cublas_context.h"

#include "kernels/cuda/check.h"

namespace tts::kernels::cuda {

cublas_context::cublas_context(cudaStream_t s) : stream_(s) {
    TTS_CUBLAS_CHECK(cublasCreate(&handle_));
    TTS_CUBLAS_CHECK(cublasSetStream(handle_, s));
    TTS_CUBLAS_CHECK(cublasSetMathMode(handle_, CUBLAS_DEFAULT_MATH));
}

cublas_context::~cublas_context() {
    if (handle_) cublasDestroy(handle_);
}

void cublas_context::sgemm_tn(int m, int n, int k, const float * a, int lda, const float * b, int ldb, float * c,
                              int ldc) {
    const float one = 1.0f, zero = 0.0f;
    TTS_CUBLAS_CHECK(cublasSgemm(handle_, CUBLAS_OP_T, CUBLAS_OP_N, m, n, k, &one, a, lda, b, ldb, &zero, c, ldc));
}

}  // namespace tts::kernels::cuda
