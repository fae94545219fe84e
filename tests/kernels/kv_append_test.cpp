// kv_append_test: f32 -> f16 page writes are bit-identical to the reference, slots land where
// kv_view says, and the conversion handles rounding ties, subnormals, overflow and NaN.
#include "kernels/cpu/ops.h"

#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "kernels/cpu/fp16.h"
#include "tests/kernels/kernel_test_util.h"
#include "tests/kernels/kv_test_fixture.h"

using namespace tts::kernels;

TEST_CASE("f32_to_f16 agrees with the reference conversion on awkward values") {
    const float specials[] = {0.0f, -0.0f, 1.0f, 65504.0f, 65519.99f, 65520.0f, 1e9f, 6.1e-5f, 5.96e-8f, 2.98e-8f,
                              2.99e-8f, 1e-10f, 1.00048828125f, 1.000732421875f, -3.14159f,
                              std::numeric_limits<float>::infinity(), std::numeric_limits<float>::denorm_min()};
    for (float f : specials) {
        CHECK(cpu::f32_to_f16(f) == ref::f32_to_f16(f));
        CHECK(cpu::f32_to_f16(-f) == ref::f32_to_f16(-f));
    }
    CHECK(std::isnan(cpu::f16_to_f32(cpu::f32_to_f16(std::numeric_limits<float>::quiet_NaN()))));
    std::mt19937 rng(9);
    std::uniform_int_distribution<uint32_t> bits;
    for (int i = 0; i < 200000; ++i) {
        uint32_t u = bits(rng);
        if (((u >> 23) & 0xff) == 0xff) continue;   // NaN payloads may differ; checked above
        float f;
        std::memcpy(&f, &u, 4);
        REQUIRE(cpu::f32_to_f16(f) == ref::f32_to_f16(f));
    }
    for (uint32_t h = 0; h < 0x7c00; ++h) REQUIRE(cpu::f16_to_f32(uint16_t(h)) == ref::f16_to_f32(uint16_t(h)));
}

TEST_CASE("kv_append writes the same bits as the reference into the right slots") {
    std::mt19937 rng(7);
    const std::vector<int32_t> lens = {17, 33, 5};
    for (int32_t bs : {16, 32}) {
        test::kv_fixture a(rng, 2, 3, 64, bs, lens);
        test::kv_fixture b = a;
        b.view.k = b.k.data();
        b.view.v = b.v.data();
        b.view.page_indptr = b.indptr.data();
        b.view.page_indices = b.indices.data();
        b.view.seq_len = b.lens.data();
        const int32_t seq[] = {0, 1, 1, 2, 0, 1};
        const int32_t pos[] = {16, 15, 32, 4, 0, 16};
        const int64_t n_tok = 6, row = 3 * 64;
        const std::vector<float> k = test::random_floats(rng, size_t(n_tok * row), -70000, 70000);
        const std::vector<float> v = test::random_floats(rng, size_t(n_tok * row), -1e-6f, 1e-6f);
        cpu::kv_append(a.view, 1, k.data(), v.data(), seq, pos, n_tok);
        ref::kv_append(b.view, 1, k.data(), v.data(), seq, pos, n_tok);
        CHECK(a.k == b.k);
        CHECK(a.v == b.v);
        // Spot check one slot by hand: token 2 (seq 1, pos 32), head 2, element 5.
        const size_t off = a.view.offset(1, a.view.page_of(1, 32), 2, 32 % bs) + 5;
        CHECK(a.k[off] == ref::f32_to_f16(k[2 * row + 2 * 64 + 5]));
    }
}
