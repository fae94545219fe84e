// embed_test: embed_rows equals the reference dequantisation exactly, for every weight type.
#include "kernels/cpu/ops.h"

#include <doctest/doctest.h>

#include "tests/kernels/kernel_test_util.h"

using namespace tts::kernels;

TEST_CASE("embed_rows matches the reference for every weight type") {
    std::mt19937 rng(5);
    for (dtype t : {dtype::f32, dtype::f16, dtype::bf16, dtype::q4_0, dtype::q4_1, dtype::q5_0, dtype::q5_1,
                    dtype::q8_0, dtype::q4_k, dtype::q6_k}) {
        const int64_t n_in = block_elems(uint32_t(t)) == 256 ? 512 : 96, n_out = 11;
        const std::vector<uint8_t> wd = test::random_weights(rng, t, n_out, n_in);
        const cpu::weight_view w{wd.data(), t, n_out, n_in};
        const int32_t ids[] = {0, 10, 3, 3, 7};
        std::vector<float> got(5 * n_in), want(got.size());
        cpu::embed_rows(w, ids, 5, got.data());
        ref::embed_rows(w, ids, 5, want.data());
        INFO(dtype_name(uint32_t(t)));
        // Same products of exactly representable values: only f32 rounding of d*q (+m) remains.
        CHECK(test::count_mismatches(dtype_name(uint32_t(t)), got.data(), want.data(), int64_t(got.size()), 0.0,
                                     1e-6) == 0);
    }
}
