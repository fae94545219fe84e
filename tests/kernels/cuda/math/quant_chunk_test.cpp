// quant_chunk: per-chunk dequantisation of every shipped weight type against kernels/ref's
// whole-row decoder (within 2 ulp: ref may be built with FMA contraction) and bit for bit
// against the CPU backend's decoder (same operations, both built without contraction), and
// the lane-strided row dot products the matmul kernel computes, against ref::matmul. A wrong
// nibble order, scale index or sub-block offset in any type fails both dequantisation checks;
// a lane skipping or repeating a chunk fails the dot test.
#include "kernels/cuda/math/quant_chunk.h"

#include <doctest/doctest.h>

#include "kernels/cpu/dequant.h"
#include "kernels/cuda/dispatch.h"
#include "kernels/cuda/math/reduce.h"
#include "tests/kernels/kernel_test_util.h"

using namespace tts::kernels;
namespace math = tts::kernels::cuda::math;

namespace {

// Row lengths: odd block counts, one block, and the real models' widths where the type allows.
std::vector<int64_t> lengths_for(dtype t) {
    if (block_elems(uint32_t(t)) == 256) return {256, 768, 1536, 2304};
    return {32, 96, 576, 896, 1184};
}

}  // namespace

TEST_CASE("dequant_chunk matches ref::dequantize_row and equals the CPU decoder's bits, every shipped type") {
    std::mt19937 rng(11);
    for (dtype t : cuda::k_shipped_dtypes) {
        for (int64_t n : lengths_for(t)) {
            CAPTURE(dtype_name(uint32_t(t)));
            CAPTURE(n);
            const int64_t n_rows = 3;
            std::vector<uint8_t> w = test::random_weights(rng, t, n_rows, n);
            const size_t rb = row_bytes(uint32_t(t), n);
            std::vector<float> want(static_cast<size_t>(n)), cpu_bits(static_cast<size_t>(n)), got(static_cast<size_t>(n));
            int64_t bad_ref = 0, bad_cpu = 0;
            for (int64_t r = 0; r < n_rows; ++r) {
                const uint8_t * row = w.data() + r * rb;
                ref::dequantize_row(t, row, want.data(), n);
                cpu::dequantize_row(t, row, cpu_bits.data(), n);
                cuda::dispatch_dtype(t, [&](auto tag) {
                    for (int64_t c = 0; c < n / 32; ++c) math::dequant_chunk<decltype(tag)::value>(row, c, got.data() + c * 32);
                });
                bad_ref += test::count_mismatches("vs ref", got.data(), want.data(), n, 0.0, 2.4e-7);
                for (int64_t i = 0; i < n; ++i) {
                    if (math::f32_to_bits(got[i]) != math::f32_to_bits(cpu_bits[i]) && ++bad_cpu <= 5)
                        MESSAGE("row " << r << " [" << i << "]: got " << got[i] << " cpu " << cpu_bits[i]);
                }
            }
            CHECK(bad_ref == 0);
            CHECK(bad_cpu == 0);
        }
    }
}

TEST_CASE("dot_chunk is within f32 accumulation error of a double dot") {
    std::mt19937 rng(3);
    int64_t bad = 0;
    for (int trial = 0; trial < 2000; ++trial) {
        std::vector<float> w = test::random_floats(rng, 32, -2, 2), x = test::random_floats(rng, 32, -3, 3);
        double exact = 0, mag = 0;
        for (int j = 0; j < 32; ++j) {
            exact += double(w[j]) * x[j];
            mag += std::fabs(double(w[j]) * x[j]);
        }
        // 32 terms in f32: |error| <= ~8 roundings of the magnitude; 1e-6 * mag is 8 eps.
        if (std::fabs(math::dot_chunk(w.data(), x.data()) - exact) > 1e-6 * mag) ++bad;
    }
    CHECK(bad == 0);
}

TEST_CASE("lane_dot over 32 lanes + butterfly_sum32 matches ref::matmul, every shipped type") {
    // The matmul kernel's row arithmetic: lane l sums chunks l, l + 32, ...; the warp adds the
    // lanes. Rows of 1..70 chunks cover lanes with no chunk, one, and several.
    std::mt19937 rng(5);
    for (dtype t : cuda::k_shipped_dtypes) {
        for (int64_t n : lengths_for(t)) {
            CAPTURE(dtype_name(uint32_t(t)));
            CAPTURE(n);
            const int64_t n_out = 7, n_tok = 3;
            std::vector<uint8_t> w = test::random_weights(rng, t, n_out, n);
            std::vector<float> x = test::random_floats(rng, size_t(n_tok * n));
            std::vector<float> want(size_t(n_tok * n_out)), got(want.size());
            ref::matmul(cpu::weight_view{w.data(), t, n_out, n}, x.data(), n_tok, want.data());
            const size_t rb = row_bytes(uint32_t(t), n);
            cuda::dispatch_dtype(t, [&](auto tag) {
                for (int64_t tk = 0; tk < n_tok; ++tk) {
                    for (int64_t o = 0; o < n_out; ++o) {
                        float lanes[32];
                        for (int l = 0; l < 32; ++l)
                            lanes[l] = math::lane_dot<decltype(tag)::value>(w.data() + o * rb, n / 32, x.data() + tk * n, l, 32);
                        got[size_t(tk * n_out + o)] = math::butterfly_sum32(lanes);
                    }
                }
            });
            // f32 sums of up to 2304 products of O(1) values: atol scales with sqrt(n).
            CHECK(test::count_mismatches("lane_dot", got.data(), want.data(), int64_t(got.size()), 2e-5 * std::sqrt(double(n)), 1e-5) == 0);
        }
    }
}
