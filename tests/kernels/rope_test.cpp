// rope_test: both rotation layouts against the reference, at short and long positions.
#include "kernels/cpu/ops.h"

#include <doctest/doctest.h>

#include "tests/kernels/kernel_test_util.h"

using namespace tts::kernels;

TEST_CASE("rope normal and neox match the reference") {
    std::mt19937 rng(4);
    const int32_t pos[] = {0, 1, 17, 255, 4095, 32767};
    for (cpu::rope_mode mode : {cpu::rope_mode::normal, cpu::rope_mode::neox}) {
        for (int64_t head_dim : {64, 128}) {
            const int64_t n_heads = 3, n_tok = 6;
            const std::vector<float> x = test::random_floats(rng, size_t(n_tok * n_heads * head_dim));
            std::vector<float> got(x), want(x);
            cpu::rope(got.data(), n_tok, n_heads, head_dim, pos, 10000.0f, mode);
            ref::rope(want.data(), n_tok, n_heads, head_dim, pos, 10000.0f, mode);
            // Both compute angles in double; cos/sin rounded to f32 then one f32 multiply-add.
            CHECK(test::count_mismatches("rope", got.data(), want.data(), int64_t(got.size()), 1e-6, 1e-5) == 0);
        }
    }
}

TEST_CASE("rope normal and neox rotate different pairs") {
    std::vector<float> a = {1, 0, 0, 0}, b = a;
    const int32_t pos[] = {1};
    cpu::rope(a.data(), 1, 1, 4, pos, 10000.0f, cpu::rope_mode::normal);
    cpu::rope(b.data(), 1, 1, 4, pos, 10000.0f, cpu::rope_mode::neox);
    CHECK(a[1] != 0.0f);   // partner of 0 is 1
    CHECK(b[1] == 0.0f);   // partner of 0 is 2
    CHECK(b[2] != 0.0f);
}
