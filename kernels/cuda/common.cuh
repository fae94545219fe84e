// common: device-side helpers shared by the .cu files — warp and block sums, the dtype and
// head-dim dispatchers that bound which template instances exist, and the launch check.
//
// Only the types the runtime loads and the head sizes of the models we ship are instantiated
// (STYLE R8): anything else is a TTS_CHECK at the dispatcher, never a silent fallback.
// Include only from .cu files.
#pragma once

#include <type_traits>

#include "kernels/cuda/check.h"
#include "kernels/dtype.h"

namespace tts::kernels::cuda {

// Sum over the 32 lanes, xor butterfly: every lane gets the same bits (host twin:
// math::butterfly_sum32). REQUIRES all 32 lanes active.
__device__ __forceinline__ float warp_sum(float v) {
    for (int off = 16; off > 0; off /= 2) v += __shfl_xor_sync(0xffffffffu, v, off);
    return v;
}

// Sum of one value per thread of a block of N threads (N a power of two <= 1024), as a tree
// part[i] += part[i + half]; the result is returned to every thread. smem: N floats.
template <int N>
__device__ __forceinline__ float block_sum(float v, float * smem) {
    smem[threadIdx.x] = v;
    __syncthreads();
    for (int half = N / 2; half > 0; half /= 2) {
        if (int(threadIdx.x) < half) smem[threadIdx.x] += smem[threadIdx.x + half];
        __syncthreads();
    }
    const float total = smem[0];
    __syncthreads();   // smem may be reused right after
    return total;
}

template <dtype T>
using dtype_tag = std::integral_constant<dtype, T>;

// Calls f(dtype_tag<T>{}) for the weight types we ship.
template <typename F>
void dispatch_dtype(dtype t, F && f) {
    switch (t) {
    case dtype::f32: return f(dtype_tag<dtype::f32>{});
    case dtype::f16: return f(dtype_tag<dtype::f16>{});
    case dtype::bf16: return f(dtype_tag<dtype::bf16>{});
    case dtype::q4_0: return f(dtype_tag<dtype::q4_0>{});
    case dtype::q4_1: return f(dtype_tag<dtype::q4_1>{});
    case dtype::q5_0: return f(dtype_tag<dtype::q5_0>{});
    case dtype::q5_1: return f(dtype_tag<dtype::q5_1>{});
    case dtype::q8_0: return f(dtype_tag<dtype::q8_0>{});
    case dtype::q4_k: return f(dtype_tag<dtype::q4_k>{});
    case dtype::q6_k: return f(dtype_tag<dtype::q6_k>{});
    default: TTS_CHECK(false, "CUDA kernels have no instance for weight type %s", dtype_name(uint32_t(t)));
    }
}

// Calls f(std::integral_constant<int, D>{}) for the head sizes of the shipped models
// (SmolLM2, Qwen2.5-0.5B: 64; Qwen2.5-1.5B: 128).
template <typename F>
void dispatch_head_dim(int head_dim, F && f) {
    switch (head_dim) {
    case 64: return f(std::integral_constant<int, 64>{});
    case 128: return f(std::integral_constant<int, 128>{});
    default: TTS_CHECK(false, "CUDA paged attention has no instance for head_dim %d", head_dim);
    }
}

// After every launch: a bad configuration is reported where it happened.
#define TTS_CUDA_LAUNCHED() TTS_CUDA_CHECK(cudaGetLastError())

// Blocks of `threads` covering n items (at least one block).
inline unsigned int grid_for(int64_t n, int threads) { return unsigned((n + threads - 1) / threads) + (n == 0); }

}  // namespace tts::kernels::cuda
