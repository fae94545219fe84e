// row_math: RMSNorm as the CUDA kernel splits it (strided per-thread partial sums of squares,
// added in a fixed tree, then x * scale * w) and the SwiGLU gate, against kernels/ref on odd
// row lengths. A partial that skips or double-counts elements, or a mean over the wrong n,
// fails these.
#include "kernels/cuda/math/row_math.h"

#include <doctest/doctest.h>

#include "tests/kernels/kernel_test_util.h"

using namespace tts::kernels;
namespace math = tts::kernels::cuda::math;

TEST_CASE("rmsnorm from strided partials matches ref::rmsnorm") {
    std::mt19937 rng(29);
    for (int64_t n : {1, 7, 64, 127, 128, 576, 897, 1536}) {
        for (int n_threads : {32, 128, 256}) {
            const int64_t n_rows = 5;
            std::vector<float> x = test::random_floats(rng, size_t(n_rows * n), -4, 4);
            std::vector<float> w = test::random_floats(rng, size_t(n), 0.5f, 1.5f);
            std::vector<float> want(x.size()), got(x.size());
            ref::rmsnorm(x.data(), w.data(), want.data(), n_rows, n, 1e-5f);
            for (int64_t r = 0; r < n_rows; ++r) {
                const float * xr = x.data() + r * n;
                std::vector<float> part(static_cast<size_t>(n_threads));
                for (int tid = 0; tid < n_threads; ++tid) part[tid] = math::sum_squares_strided(xr, n, tid, n_threads);
                for (int half = n_threads / 2; half > 0; half /= 2)   // the block's tree
                    for (int i = 0; i < half; ++i) part[i] += part[i + half];
                const float s = math::rms_scale(part[0], n, 1e-5f);
                for (int64_t i = 0; i < n; ++i) got[size_t(r * n + i)] = math::rms_apply(xr[i], w[i], s);
            }
            CAPTURE(n);
            CAPTURE(n_threads);
            CHECK(test::count_mismatches("rmsnorm", got.data(), want.data(), int64_t(got.size()), 1e-6, 2e-6) == 0);
        }
    }
}

TEST_CASE("silu_mul matches ref::silu_mul, including saturated gates") {
    std::mt19937 rng(31);
    std::vector<float> g = test::random_floats(rng, 1001, -12, 12), u = test::random_floats(rng, 1001, -2, 2);
    g.push_back(-100.0f);   // exp(100) overflows f32: silu must go to -0, not nan
    u.push_back(1.0f);
    g.push_back(100.0f);
    u.push_back(1.0f);
    std::vector<float> want(g.size()), got(g.size());
    ref::silu_mul(g.data(), u.data(), want.data(), int64_t(g.size()));
    for (size_t i = 0; i < g.size(); ++i) got[i] = math::silu_mul(g[i], u[i]);
    CHECK(test::count_mismatches("silu_mul", got.data(), want.data(), int64_t(got.size()), 1e-7, 1e-6) == 0);
}
