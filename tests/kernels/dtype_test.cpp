// dtype_test: names, loadable types and block geometry match ggml's.
#include "kernels/dtype.h"

#include <doctest/doctest.h>

#include <cstring>

using namespace tts::kernels;

TEST_CASE("dtype names and geometry") {
    CHECK(std::strcmp(dtype_name(3), "Q4_1") == 0);
    CHECK(std::strcmp(dtype_name(30), "BF16") == 0);
    CHECK(std::strcmp(dtype_name(16), "IQ2_XXS") == 0);
    CHECK(std::strcmp(dtype_name(1234), "type#1234") == 0);
    CHECK(block_elems(uint32_t(dtype::q4_k)) == 256);
    CHECK(block_bytes(uint32_t(dtype::q4_0)) == 18);
    CHECK(block_bytes(uint32_t(dtype::q4_1)) == 20);
    CHECK(block_bytes(uint32_t(dtype::q8_0)) == 34);
    CHECK(block_bytes(uint32_t(dtype::q4_k)) == 144);
    CHECK(block_bytes(uint32_t(dtype::q5_k)) == 176);   // ggml-common.h: d, dmin, scales[12], qh[32], qs[128]
    CHECK(block_bytes(uint32_t(dtype::q6_k)) == 210);
    CHECK(row_bytes(uint32_t(dtype::q4_1), 576) == 18 * 20);
    CHECK(row_bytes(uint32_t(dtype::q8_0), 33) == 0);
    CHECK(row_bytes(uint32_t(dtype::f16), 7) == 14);
    CHECK(row_bytes(99, 32) == 0);
}

TEST_CASE("weight_dtype accepts exactly the types the kernels implement") {
    for (dtype t : {dtype::f32, dtype::f16, dtype::bf16, dtype::q4_0, dtype::q4_1, dtype::q5_0, dtype::q5_1,
                    dtype::q8_0, dtype::q4_k, dtype::q5_k, dtype::q6_k}) {
        CHECK(weight_dtype(uint32_t(t)) == t);
    }
    for (uint32_t id : {9u, 10u, 11u, 15u, 16u, 4u, 1000u}) CHECK_FALSE(weight_dtype(id).has_value());
}
