// simd_level: which instruction-set variant of the CPU kernels runs in this process.
//
// Detected once from cpuid (__builtin_cpu_supports); the environment variable
// TTS_SIMD=scalar|avx2|avx512 caps it (for tests and for machines where a level misbehaves).
// Ops read simd_level_active() on every call, so tests may switch levels between calls with
// set_simd_level_for_testing(). Only the engine thread (or a test) may switch levels.
#pragma once

namespace tts::kernels::cpu {

enum class simd_level { scalar = 0, avx2 = 1, avx512 = 2 };

// avx2 = AVX2 + FMA + F16C; avx512 = avx2 + AVX-512 F/BW/VL/VNNI.
simd_level simd_level_supported();
// The level ops use: min(supported, TTS_SIMD) unless a test forced one.
simd_level simd_level_active();
// REQUIRES: level <= simd_level_supported().
void set_simd_level_for_testing(simd_level level);
const char * simd_level_name(simd_level level);

}  // namespace tts::kernels::cpu
