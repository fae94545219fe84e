// fp16: scalar IEEE half and bfloat16 conversions shared by the CPU kernels.
//
// f32_to_f16 rounds to nearest-even exactly as F16C's _mm256_cvtps_ph(x, 0) does, so K/V bits
// written by kv_append do not depend on the SIMD level. Pure inline functions.
#pragma once

#include <cstdint>
#include <cstring>

namespace tts::kernels::cpu {

inline float bits_to_f32(uint32_t u) {
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}

inline uint32_t f32_to_bits(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    return u;
}

inline float f16_to_f32(uint16_t h) {
    const uint32_t sign = uint32_t(h & 0x8000) << 16;
    const uint32_t exp = (h >> 10) & 0x1f;
    const uint32_t man = h & 0x3ff;
    if (exp == 0x1f) return bits_to_f32(sign | 0x7f800000u | (man << 13));            // inf / nan
    if (exp != 0) return bits_to_f32(sign | ((exp + 112) << 23) | (man << 13));        // normal
    // Subnormal (or zero): man * 2^-24, exact in f32.
    const float v = float(man) * bits_to_f32(0x33800000u);
    return sign ? -v : v;
}

inline uint16_t f32_to_f16(float f) {
    const uint32_t u = f32_to_bits(f);
    const uint16_t sign = uint16_t((u >> 16) & 0x8000);
    const uint32_t a = u & 0x7fffffffu;
    if (a > 0x7f800000u) return uint16_t(sign | 0x7e00 | ((a >> 13) & 0x3ff));   // nan stays nan
    if (a >= 0x477ff000u) return uint16_t(sign | 0x7c00);                          // rounds to inf
    if (a < 0x38800000u) {
        // Result is subnormal: adding 0.5 lets the FPU do the round-to-nearest-even of the
        // bits below 2^-24 for us.
        const float r = bits_to_f32(a) + 0.5f;
        return uint16_t(sign | (f32_to_bits(r) - 0x3f000000u));
    }
    const uint32_t odd = (a >> 13) & 1;
    const uint32_t v = a + 0xc8000fffu + odd;   // rebias exponent (-112 << 23) and round
    return uint16_t(sign | (v >> 13));
}

inline float bf16_to_f32(uint16_t h) { return bits_to_f32(uint32_t(h) << 16); }

}  // namespace tts::kernels::cpu
