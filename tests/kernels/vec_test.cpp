// vec_test: every level's element-wise loops against plain libm / f64 loops, at lengths that
// leave every tail size, with the sampler's edge cases (-inf logits, ties for the argmax).
#include "kernels/cpu/vec.h"

#include <doctest/doctest.h>

#include <cmath>

#include "tests/kernels/kernel_test_util.h"

using namespace tts::kernels;

namespace {
const int64_t k_lengths[] = {1, 7, 8, 15, 16, 17, 31, 33, 1000, 151936};
}

TEST_CASE("vec: exp_sum and exp_moments match f64 libm sums at every level and tail") {
    // A polynomial exp off by more than a few ulp, a lost tail lane, or a -inf turning into NaN
    // fails here.
    std::mt19937 rng(31);
    for (int64_t n : k_lengths) {
        std::vector<float> x = test::random_floats(rng, size_t(n), -30, 12);
        if (n > 3) x[2] = -INFINITY;
        const float c = 12.5f, s = 1.0f / 0.7f;
        // The kernels form the exponent in f32 ((x - c) * s, x - c) and so does the check: only
        // the exp and the sums are under test.
        double want_sum = 0, want_z = 0, want_ez = 0;
        for (float v : x) {
            want_sum += std::exp(double((v - c) * s));
            if (v == -INFINITY) continue;
            const double d = double(v - c), e = std::exp(d);
            want_z += e;
            want_ez += e * d;
        }
        for (cpu::simd_level level : test::all_levels()) {
            INFO("n ", n, " ", cpu::simd_level_name(level));
            const cpu::vec_ops & ops = cpu::vec_ops_for(level);
            std::vector<float> y(size_t(n) + 1, 7.0f);
            const double sum = ops.exp_sum(x.data(), n, c, s, y.data());
            CHECK(sum == doctest::Approx(want_sum).epsilon(1e-6));
            CHECK(y[size_t(n)] == 7.0f);   // nothing written past n
            int64_t bad = 0;
            for (int64_t i = 0; i < n; ++i) {
                const double e = std::exp(double((x[size_t(i)] - c) * s));
                bad += std::fabs(y[size_t(i)] - e) > 1e-6 * e + 1e-37;
            }
            CHECK(bad == 0);
            double z = 0, ez = 0;
            ops.exp_moments(x.data(), n, c, &z, &ez);
            CHECK(z == doctest::Approx(want_z).epsilon(1e-6));
            CHECK(ez == doctest::Approx(want_ez).epsilon(1e-6));
        }
    }
}

TEST_CASE("vec: argmax is the first maximum at every level") {
    std::mt19937 rng(32);
    for (int64_t n : k_lengths) {
        for (int64_t where : {int64_t(0), n / 2, n - 1}) {
            std::vector<float> x = test::random_floats(rng, size_t(n), -5, 5);
            x[size_t(where)] = 9.0f;
            if (where + 3 < n) x[size_t(where + 3)] = 9.0f;   // a later tie loses
            for (cpu::simd_level level : test::all_levels()) {
                INFO("n ", n, " at ", where, " ", cpu::simd_level_name(level));
                CHECK(cpu::vec_ops_for(level).argmax(x.data(), n) == where);
            }
        }
    }
    const std::vector<float> all_inf(19, -INFINITY);
    for (cpu::simd_level level : test::all_levels()) CHECK(cpu::vec_ops_for(level).argmax(all_inf.data(), 19) == 0);
}

TEST_CASE("vec: select_ge lists exactly the indices at or above the threshold, ascending") {
    std::mt19937 rng(34);
    for (int64_t n : k_lengths) {
        std::vector<float> x = test::random_floats(rng, size_t(n), -5, 5);
        x[size_t(n - 1)] = 2.0f;   // equal to the threshold: selected
        if (n > 2) x[0] = -INFINITY;
        std::vector<int32_t> want;
        for (int64_t i = 0; i < n; ++i)
            if (x[size_t(i)] >= 2.0f) want.push_back(int32_t(i));
        for (cpu::simd_level level : test::all_levels()) {
            INFO("n ", n, " ", cpu::simd_level_name(level));
            std::vector<int32_t> got(static_cast<size_t>(n), -1);
            got.resize(size_t(cpu::vec_ops_for(level).select_ge(x.data(), n, 2.0f, got.data())));
            CHECK(got == want);
            std::vector<int32_t> all(static_cast<size_t>(n));
            CHECK(cpu::vec_ops_for(level).select_ge(x.data(), n, -INFINITY, all.data()) == n);
        }
    }
}

TEST_CASE("vec: silu_mul matches the reference at every level, in place") {
    std::mt19937 rng(33);
    for (int64_t n : k_lengths) {
        const std::vector<float> g = test::random_floats(rng, size_t(n), -20, 20), u = test::random_floats(rng, size_t(n));
        std::vector<float> want(static_cast<size_t>(n));
        ref::silu_mul(g.data(), u.data(), want.data(), n);
        for (cpu::simd_level level : test::all_levels()) {
            INFO("n ", n, " ", cpu::simd_level_name(level));
            std::vector<float> got(g);
            got.push_back(7.0f);
            cpu::vec_ops_for(level).silu_mul(got.data(), u.data(), got.data(), n);
            // exp within a few ulp; a division and two multiplies add a few more.
            CHECK(test::count_mismatches("silu_mul", got.data(), want.data(), n, 1e-7, 1e-5) == 0);
            CHECK(got[size_t(n)] == 7.0f);
        }
    }
}
