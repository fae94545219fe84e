// hd: the macro that makes one function callable from host and device code, and the float
// bit casts both sides need.
//
// Every header in kernels/cuda/math/ is plain C++ when no CUDA compiler is involved, so the
// CPU test suite compiles the same per-element arithmetic the kernels run and checks it against
// kernels/ref on every `make test`. Only launch and grid glue (kernels/cuda/*.cu) is
// device-only. The .cu files are compiled with -fmad=false so that nvcc does not fuse a*b+c
// where the host would not: an explicit fmaf() is the only fused multiply-add on both sides.
#pragma once

#include <cstdint>
#include <cstring>

#ifdef __CUDACC__
#define TTS_HD __host__ __device__ __forceinline__
#else
#define TTS_HD inline
#endif
#ifdef __CUDA_ARCH__   // the device pass only: the host compiler does not know the pragma
#define TTS_UNROLL _Pragma("unroll")
#else
#define TTS_UNROLL
#endif

namespace tts::kernels::cuda::math {

TTS_HD float bits_to_f32(uint32_t u) {
#ifdef __CUDA_ARCH__
    return __uint_as_float(u);
#else
    float f;
    std::memcpy(&f, &u, 4);
    return f;
#endif
}

TTS_HD uint32_t f32_to_bits(float f) {
#ifdef __CUDA_ARCH__
    return __float_as_uint(f);
#else
    uint32_t u;
    std::memcpy(&u, &f, 4);
    return u;
#endif
}

}  // namespace tts::kernels::cuda::math
