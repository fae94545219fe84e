// half: IEEE binary16 and bfloat16 <-> f32 conversions, host and device.
//
// f32_to_f16 rounds to nearest, ties to even, with integer arithmetic only (no dependence on
// the FPU's rounding mode or on a conversion instruction), so the K/V bits kv_append writes
// on a GPU equal those the CPU backend writes. NaN keeps its top payload bits and stays quiet.
#pragma once

#include <cstdint>

#include "kernels/cuda/math/hd.h"

namespace tts::kernels::cuda::math {

TTS_HD float f16_to_f32(uint16_t h) {
    const uint32_t sign = uint32_t(h & 0x8000u) << 16;
    const uint32_t exp = (h >> 10) & 0x1fu;
    uint32_t man = h & 0x3ffu;
    if (exp == 0x1f) return bits_to_f32(sign | 0x7f800000u | (man << 13));       // inf / nan
    if (exp != 0) return bits_to_f32(sign | ((exp + 112) << 23) | (man << 13));   // normal
    if (man == 0) return bits_to_f32(sign);                                        // +-0
    // Subnormal: normalise the mantissa into an f32 normal (exact).
    int32_t e = 113;
    while ((man & 0x400u) == 0) {
        man <<= 1;
        --e;
    }
    return bits_to_f32(sign | (uint32_t(e) << 23) | ((man & 0x3ffu) << 13));
}

TTS_HD uint16_t f32_to_f16(float f) {
    const uint32_t u = f32_to_bits(f);
    const uint16_t sign = uint16_t((u >> 16) & 0x8000u);
    const uint32_t a = u & 0x7fffffffu;
    if (a > 0x7f800000u) return uint16_t(sign | 0x7e00u | ((a >> 13) & 0x3ffu));   // nan
    if (a >= 0x477ff000u) return uint16_t(sign | 0x7c00u);                          // >= 65520: inf
    if (a >= 0x38800000u) {                                                         // normal half
        const uint32_t r = a + 0xfffu + ((a >> 13) & 1u);   // round the low 13 bits, ties to even
        return uint16_t(sign | ((r - 0x38000000u) >> 13));   // rebias the exponent by 112
    }
    // Subnormal half (units of 2^-24) or zero: shift the 24-bit significand right, round RNE.
    const uint32_t e = a >> 23;
    if (e < 102) return sign;   // below 2^-25: rounds to zero
    const uint32_t m = (a & 0x7fffffu) | 0x800000u;
    const uint32_t shift = 126 - e;   // in [14, 24]
    uint32_t q = m >> shift;
    const uint32_t rem = m & ((1u << shift) - 1), half = 1u << (shift - 1);
    if (rem > half || (rem == half && (q & 1u))) ++q;
    return uint16_t(sign | q);
}

TTS_HD float bf16_to_f32(uint16_t h) { return bits_to_f32(uint32_t(h) << 16); }

}  // namespace tts::kernels::cuda::math
