// common: device-side helpers shared by the .cu files — warp and block sums and the launch
// check — plus the instance dispatchers of dispatch.h. Include only from .cu files.
#pragma once

#include "kernels/cuda/check.h"
#include "kernels/cuda/dispatch.h"

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

// After every launch: a bad configuration is reported where it happened.
#define TTS_CUDA_LAUNCHED() TTS_CUDA_CHECK(cudaGetLastError())

// Blocks of `threads` covering n > 0 items.
inline unsigned int grid_for(int64_t n, int threads) { return unsigned((n + threads - 1) / threads); }

}  // namespace tts::kernels::cuda
