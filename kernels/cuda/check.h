// check: TTS_CUDA_CHECK / TTS_CUBLAS_CHECK, the tier-1 (bug) check for CUDA and cuBLAS calls.
//
// Both come from one generic macro, as in llama.cpp: a call that does not return its success
// code prints file:line:function, the call and the library's error string, then aborts (like
// TTS_CHECK). Expected failures (no device, out of memory while loading) are checked by the
// caller and turned into a status instead. Host code only.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include "runtime/base/check.h"

#define TTS_GPU_CHECK(expr, success, describe)                                  \
    do {                                                                        \
        const auto err_ = (expr);                                               \
        TTS_CHECK(err_ == (success), "%s failed: %s", #expr, describe(err_));   \
    } while (0)

#define TTS_CUDA_CHECK(expr) TTS_GPU_CHECK(expr, cudaSuccess, cudaGetErrorString)
#define TTS_CUBLAS_CHECK(expr) TTS_GPU_CHECK(expr, CUBLAS_STATUS_SUCCESS, cublasGetStatusString)
