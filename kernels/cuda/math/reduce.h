// reduce: the order in which the CUDA kernels add per-thread partial sums, as host code.
//
// A warp sum is an xor butterfly over 32 lanes (offsets 16, 8, 4, 2, 1). Float addition
// commutes, so after each step lanes i and i ^ off hold the same bits and every lane ends with
// the same total: butterfly_sum32 returns it. Tests use it to replay a kernel's exact order.
#pragma once

#include "kernels/cuda/math/hd.h"

namespace tts::kernels::cuda::math {

// The value every lane holds after the warp sum of v[32] (device twin: warp_sum in common.cuh).
TTS_HD float butterfly_sum32(const float * v) {
    float s[32];
    for (int i = 0; i < 32; ++i) s[i] = v[i];
    for (int off = 16; off > 0; off /= 2) {
        float t[32];
        for (int i = 0; i < 32; ++i) t[i] = s[i] + s[i ^ off];
        for (int i = 0; i < 32; ++i) s[i] = t[i];
    }
    return s[0];
}

}  // namespace tts::kernels::cuda::math
