// silu_mul_test: SwiGLU gate against the reference, including aliasing out = gate.
#include "kernels/cpu/ops.h"

#include <doctest/doctest.h>

#include "tests/kernels/kernel_test_util.h"

using namespace tts::kernels;

TEST_CASE("silu_mul matches the reference") {
    std::mt19937 rng(6);
    const int64_t n = 1537;
    const std::vector<float> g = test::random_floats(rng, size_t(n), -20, 20), u = test::random_floats(rng, size_t(n));
    std::vector<float> got(g), want(static_cast<size_t>(n));
    cpu::silu_mul(got.data(), u.data(), got.data(), n);
    ref::silu_mul(g.data(), u.data(), want.data(), n);
    // expf is within ~1 ulp; a division and two multiplies add a few more.
    CHECK(test::count_mismatches("silu_mul", got.data(), want.data(), n, 1e-7, 1e-5) == 0);
}
