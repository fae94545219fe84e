// kernel_test_util: shared helpers for the kernel tests — random weights in any GGUF type,
// the |a-b| <= atol + rtol*|ref| check that prints the first 10 mismatches, and a loop over
// every SIMD level the machine supports.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#include "kernels/cpu/simd_level.h"
#include "kernels/dtype.h"
#include "kernels/ref/reference.h"

namespace tts::kernels::test {

inline std::vector<cpu::simd_level> all_levels() {
    std::vector<cpu::simd_level> out;
    for (int l = 0; l <= int(cpu::simd_level_supported()); ++l) out.push_back(cpu::simd_level(l));
    return out;
}

// Forces a level for the scope of a test section, restoring the detected one after.
struct level_scope {
    explicit level_scope(cpu::simd_level l) { cpu::set_simd_level_for_testing(l); }
    ~level_scope() { cpu::set_simd_level_for_testing(cpu::simd_level_supported()); }
};

inline std::vector<float> random_floats(std::mt19937 & rng, size_t n, float lo = -1.0f, float hi = 1.0f) {
    std::uniform_real_distribution<float> u(lo, hi);
    std::vector<float> v(n);
    for (float & x : v) x = u(rng);
    return v;
}

inline void put_f16(uint8_t * p, float v) {
    const uint16_t h = ref::f32_to_f16(v);
    std::memcpy(p, &h, 2);
}

// n_out rows of n_in values of type t: random payload bytes with sane scales (|d| ~ 1e-2, so
// dequantised weights are O(0.1..1)) written over the scale fields.
inline std::vector<uint8_t> random_weights(std::mt19937 & rng, dtype t, int64_t n_out, int64_t n_in) {
    const size_t rb = row_bytes(uint32_t(t), n_in);
    std::vector<uint8_t> w(rb * size_t(n_out));
    if (t == dtype::f32 || t == dtype::f16 || t == dtype::bf16) {
        std::vector<float> f = random_floats(rng, size_t(n_out * n_in));
        for (size_t i = 0; i < f.size(); ++i) {
            if (t == dtype::f32) std::memcpy(&w[4 * i], &f[i], 4);
            else if (t == dtype::f16) put_f16(&w[2 * i], f[i]);
            else {
                uint32_t u;
                std::memcpy(&u, &f[i], 4);
                const uint16_t h = uint16_t(u >> 16);
                std::memcpy(&w[2 * i], &h, 2);
            }
        }
        return w;
    }
    std::uniform_int_distribution<int> byte(0, 255);
    for (uint8_t & b : w) b = uint8_t(byte(rng));
    std::uniform_real_distribution<float> d(0.004f, 0.02f), m(-0.2f, 0.05f);
    const size_t bb = block_bytes(uint32_t(t));
    for (size_t off = 0; off < w.size(); off += bb) {
        uint8_t * b = &w[off];
        switch (t) {
        case dtype::q4_0: case dtype::q5_0: case dtype::q8_0: put_f16(b, 4 * d(rng)); break;
        case dtype::q4_1: case dtype::q5_1: put_f16(b, 4 * d(rng)); put_f16(b + 2, m(rng)); break;
        case dtype::q4_k: case dtype::q5_k:
            put_f16(b, d(rng)); put_f16(b + 2, d(rng) / 4); break;   // x 6-bit scales
        case dtype::q6_k: put_f16(b + 208, d(rng) / 8); break;                      // x int8 scales
        default: FAIL("random_weights: no generator for this type");
        }
    }
    return w;
}

// Counts values with |got - want| > atol + rtol * |want|; prints the first 10 (tagged with what).
inline int64_t count_mismatches(const char * what, const float * got, const float * want, int64_t n, double atol,
                                double rtol) {
    int64_t bad = 0;
    double worst = 0;   // largest |diff| / allowed: how much headroom the tolerance has
    for (int64_t i = 0; i < n; ++i) {
        const double diff = std::fabs(double(got[i]) - double(want[i]));
        worst = std::max(worst, diff / (atol + rtol * std::fabs(double(want[i]))));
        if (!(diff <= atol + rtol * std::fabs(double(want[i])))) {
            if (++bad <= 10) {
                std::fprintf(stderr, "  %s [%lld]: got %.7g want %.7g (|diff| %.3g > %.3g)\n", what, (long long)i,
                             got[i], want[i], diff, atol + rtol * std::fabs(double(want[i])));
            }
        }
    }
    if (bad > 10) std::fprintf(stderr, "  %s: ... %lld mismatches in total\n", what, (long long)bad);
    if (std::getenv("TTS_TEST_VERBOSE")) std::fprintf(stderr, "  %s: worst |diff| / tolerance = %.3f\n", what, worst);
    return bad;
}

inline double rms(const std::vector<float> & v) {
    double s = 0;
    for (float x : v) s += double(x) * x;
    return std::sqrt(s / double(v.size()));
}

}  // namespace tts::kernels::test
