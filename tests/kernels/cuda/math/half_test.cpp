// half: the host/device f16 conversions against kernels/ref's frexp/ldexp versions.
// A rounding slip (ties away from zero, a lost carry into the exponent, flushed subnormals)
// shows up as a mismatching bit pattern here; kv_append writes K/V through these.
#include "kernels/cuda/math/half.h"

#include <doctest/doctest.h>

#include <cmath>
#include <ios>
#include <random>

#include "kernels/ref/reference.h"

using namespace tts::kernels;
namespace math = tts::kernels::cuda::math;

TEST_CASE("f16_to_f32 decodes all 65536 patterns as the reference does") {
    int bad = 0;
    for (uint32_t h = 0; h < 65536; ++h) {
        const float got = math::f16_to_f32(uint16_t(h)), want = ref::f16_to_f32(uint16_t(h));
        const bool same = std::isnan(want) ? std::isnan(got) : math::f32_to_bits(got) == math::f32_to_bits(want);
        if (!same && ++bad <= 10) MESSAGE("pattern " << h << ": got " << got << " want " << want);
    }
    CHECK(bad == 0);
}

TEST_CASE("f32_to_f16 rounds to nearest even like the reference") {
    // Every f16 value, the midpoints between neighbours (ties) and a hair either side, plus
    // random floats over the whole exponent range.
    std::vector<float> xs;
    for (uint32_t h = 0; h < 0x7c00; ++h) {
        const double a = ref::f16_to_f32(uint16_t(h)), b = ref::f16_to_f32(uint16_t(h + 1));
        const float mid = float((a + b) / 2);
        for (float v : {float(a), mid, std::nextafter(mid, 0.0f), std::nextafter(mid, 1e9f)}) {
            xs.push_back(v);
            xs.push_back(-v);
        }
    }
    std::mt19937 rng(7);
    std::uniform_int_distribution<uint32_t> bits;
    for (int i = 0; i < 200000; ++i) {
        const float f = math::bits_to_f32(bits(rng));
        if (!std::isnan(f)) xs.push_back(f);
    }
    xs.push_back(INFINITY);
    xs.push_back(-INFINITY);
    xs.push_back(65520.0f);
    xs.push_back(std::ldexp(1.0f, -25));
    xs.push_back(std::nextafter(std::ldexp(1.0f, -25), 1.0f));
    int bad = 0;
    for (float x : xs) {
        const uint16_t got = math::f32_to_f16(x), want = ref::f32_to_f16(x);
        if (got != want && ++bad <= 10) MESSAGE(x << ": got 0x" << std::hex << got << " want 0x" << want);
    }
    CHECK(bad == 0);
    CHECK(std::isnan(math::f16_to_f32(math::f32_to_f16(NAN))));
}

TEST_CASE("bf16_to_f32 is the top half of the f32 bits") {
    for (float x : {1.0f, -2.5f, 3.14159f, 1e-30f, 65504.0f}) {
        const uint16_t h = uint16_t(math::f32_to_bits(x) >> 16);
        CHECK(math::f32_to_bits(math::bf16_to_f32(h)) == (math::f32_to_bits(x) & 0xffff0000u));
    }
}
