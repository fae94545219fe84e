// blocks: the GGUF quantised block layouts (as in ggml-common.h) the CPU kernels read.
//
// A row of a quantised weight is an array of these structs, packed (sizes are asserted).
// Scales d/m are IEEE f16 bit patterns. Element order inside a block:
//   q4_0/q4_1: value j < 16 is the low nibble of qs[j], value j + 16 the high nibble.
//   q5_0/q5_1: as q4; bit k of the little-endian 32-bit qh is bit 4 of value k.
//   q4_k: 8 sub-blocks of 32 with 6-bit scale/min pairs packed in scales[12]; chunk c of 64
//         values uses qs[32c..32c+32): low nibbles = sub-block 2c, high nibbles = 2c+1.
//   q5_k: as q4_k, plus qh[32]: bit k of qh[l] is bit 4 of value l of sub-block k.
//   q6_k: 16 sub-blocks of 16 with int8 scales; 6-bit values split in ql (low 4) and qh (high 2).
#pragma once

#include <cstdint>

namespace tts::kernels::cpu {

struct block_q4_0 { uint16_t d; uint8_t qs[16]; };
struct block_q4_1 { uint16_t d, m; uint8_t qs[16]; };
struct block_q5_0 { uint16_t d; uint8_t qh[4]; uint8_t qs[16]; };
struct block_q5_1 { uint16_t d, m; uint8_t qh[4]; uint8_t qs[16]; };
struct block_q8_0 { uint16_t d; int8_t qs[32]; };
struct block_q4_k { uint16_t d, dmin; uint8_t scales[12]; uint8_t qs[128]; };
struct block_q5_k { uint16_t d, dmin; uint8_t scales[12]; uint8_t qh[32]; uint8_t qs[128]; };
struct block_q6_k { uint8_t ql[128]; uint8_t qh[64]; int8_t scales[16]; uint16_t d; };

static_assert(sizeof(block_q4_0) == 18 && sizeof(block_q4_1) == 20 && sizeof(block_q5_0) == 22 &&
              sizeof(block_q5_1) == 24 && sizeof(block_q8_0) == 34 && sizeof(block_q4_k) == 144 &&
              sizeof(block_q5_k) == 176 && sizeof(block_q6_k) == 210, "GGUF block sizes");

// Scale and min (6 bits each) of sub-block j in [0, 8) of a q4_k or q5_k block.
inline void q4_k_scale_min(const uint8_t * scales, int j, int & sc, int & m) {
    if (j < 4) {
        sc = scales[j] & 63;
        m = scales[j + 4] & 63;
    } else {
        sc = (scales[j + 4] & 0x0f) | ((scales[j - 4] >> 6) << 4);
        m = (scales[j + 4] >> 4) | ((scales[j] >> 6) << 4);
    }
}

// All 8 scales (bytes 0-7 of *sc) and mins (bytes 0-7 of *mn) of a q4_k / q5_k block at once,
// with 32-bit word operations (the same values as q4_k_scale_min).
inline void q4_k_scales_mins(const uint8_t * scales, uint64_t & sc, uint64_t & mn) {
    uint32_t u0, u1, u2;
    __builtin_memcpy(&u0, scales, 4);
    __builtin_memcpy(&u1, scales + 4, 4);
    __builtin_memcpy(&u2, scales + 8, 4);
    const uint32_t sc_hi = (u2 & 0x0f0f0f0fu) | ((u0 >> 6) & 0x03030303u) << 4;
    const uint32_t mn_hi = ((u2 >> 4) & 0x0f0f0f0fu) | ((u1 >> 6) & 0x03030303u) << 4;
    sc = (u0 & 0x3f3f3f3fu) | uint64_t(sc_hi) << 32;
    mn = (u1 & 0x3f3f3f3fu) | uint64_t(mn_hi) << 32;
}

}  // namespace tts::kernels::cpu
