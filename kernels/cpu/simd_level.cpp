// simd_level: cpuid detection plus the TTS_SIMD cap.
#include "kernels/cpu/simd_level.h"

#include <atomic>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "runtime/base/check.h"

namespace tts::kernels::cpu {

namespace {

#if defined(__x86_64__) || defined(__i386__)
// cpuid leaf 1, ECX bit 29; clang < 16 has no "f16c" for __builtin_cpu_supports.
bool has_f16c() {
    unsigned a = 0, b = 0, c = 0, d = 0;
    return __get_cpuid(1, &a, &b, &c, &d) && (c & bit_F16C) != 0;
}
#endif

simd_level detect() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    const bool has_avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && has_f16c();
    const bool has_avx512 = has_avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                            __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
    if (has_avx512) return simd_level::avx512;
    if (has_avx2) return simd_level::avx2;
#endif
    return simd_level::scalar;
}

simd_level from_env(simd_level supported) {
    const char * s = std::getenv("TTS_SIMD");
    if (!s || !*s) return supported;
    simd_level cap = supported;
    if (std::strcmp(s, "scalar") == 0) cap = simd_level::scalar;
    else if (std::strcmp(s, "avx2") == 0) cap = simd_level::avx2;
    else if (std::strcmp(s, "avx512") == 0) cap = simd_level::avx512;
    else std::fprintf(stderr, "TTS_SIMD=%s not understood (scalar|avx2|avx512); ignored\n", s);
    return cap < supported ? cap : supported;
}

std::atomic<int> g_forced{-1};

}  // namespace

simd_level simd_level_supported() {
    static const simd_level level = detect();
    return level;
}

simd_level simd_level_active() {
    const int forced = g_forced.load(std::memory_order_relaxed);
    if (forced >= 0) return simd_level(forced);
    static const simd_level level = from_env(simd_level_supported());
    return level;
}

void set_simd_level_for_testing(simd_level level) {
    TTS_CHECK(level <= simd_level_supported(), "simd level %s not supported here", simd_level_name(level));
    g_forced.store(int(level), std::memory_order_relaxed);
}

const char * simd_level_name(simd_level level) {
    switch (level) {
    case simd_level::scalar: return "scalar";
    case simd_level::avx2: return "avx2";
    case simd_level::avx512: return "avx512";
    }
    return "?";
}

}  // namespace tts::kernels::cpu
