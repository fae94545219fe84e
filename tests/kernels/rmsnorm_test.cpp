// rmsnorm_test: rmsnorm against the double-precision reference, including in-place use.
#include "kernels/cpu/ops.h"

#include <doctest/doctest.h>

#include "tests/kernels/kernel_test_util.h"

using namespace tts::kernels;

TEST_CASE("rmsnorm matches the reference") {
    std::mt19937 rng(3);
    for (int64_t cols : {1, 7, 64, 576, 1000}) {
        for (int64_t rows : {1, 5}) {
            const std::vector<float> x = test::random_floats(rng, size_t(rows * cols), -3, 3);
            const std::vector<float> w = test::random_floats(rng, size_t(cols), 0.5f, 1.5f);
            std::vector<float> got(x), want(x.size());
            cpu::rmsnorm(got.data(), w.data(), got.data(), rows, cols, 1e-5f);   // in place
            ref::rmsnorm(x.data(), w.data(), want.data(), rows, cols, 1e-5f);
            // f32 sum of squares vs double: a few ulp on the scale, so 1e-5 relative.
            CHECK(test::count_mismatches("rmsnorm", got.data(), want.data(), int64_t(got.size()), 1e-6, 1e-5) == 0);
        }
    }
}
