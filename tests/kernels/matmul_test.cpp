// matmul_test: every weight type at every SIMD level against ref::matmul, plus batch invariance.
#include "kernels/cpu/ops.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>

#include "kernels/cpu/dequant.h"
#include "tests/kernels/kernel_test_util.h"

using namespace tts::kernels;
using test::all_levels;
using test::level_scope;

namespace {

constexpr dtype k_types[] = {dtype::f32, dtype::f16, dtype::bf16, dtype::q4_0, dtype::q4_1,
                             dtype::q5_0, dtype::q5_1, dtype::q8_0, dtype::q4_k, dtype::q5_k, dtype::q6_k};

bool is_float(dtype t) { return t == dtype::f32 || t == dtype::f16 || t == dtype::bf16; }

// Tolerance. The reference dots exact dequantised weights with f32 x in double. Quantised
// kernels first round x to int8 per block of 32 or 256 (step amax/127, error uniform in
// +-amax/254, sd ~ amax * 0.0023), so a dot over n_in values is off by a random walk of sd
// ~ 0.0023 * sqrt(n_in) * rms(w) * amax; atol = 0.02 * sqrt(n_in) * rms(w) * max|x| is ~9 sd.
// Float kernels only differ by f32 summation order: ~1e-6 relative per term, same walk.
// rtol covers f32 rounding of large results.
struct tolerance {
    double atol, rtol;
};

tolerance tolerance_for(dtype t, int64_t n_in, double rms_w, double max_x) {
    const double walk = std::sqrt(double(n_in)) * rms_w * max_x;
    return is_float(t) ? tolerance{2e-6 * walk, 1e-5} : tolerance{0.02 * walk, 1e-3};
}

struct shape {
    int64_t n_out, n_in, n_tok;
};

void check_against_ref(dtype t, const shape & s, int n_threads) {
    std::mt19937 rng(uint32_t(s.n_out * 131 + s.n_in * 7 + s.n_tok + int(t)));
    const std::vector<uint8_t> wdata = test::random_weights(rng, t, s.n_out, s.n_in);
    const std::vector<float> x = test::random_floats(rng, size_t(s.n_tok * s.n_in));
    const cpu::weight_view w{wdata.data(), t, s.n_out, s.n_in};
    std::vector<float> want(size_t(s.n_tok * s.n_out)), got(want.size());
    ref::matmul(w, x.data(), s.n_tok, want.data());
    std::vector<float> wf(size_t(s.n_out * s.n_in));
    ref::dequantize_row(t, wdata.data(), wf.data(), s.n_out * s.n_in);
    float max_x = 0;
    for (float v : x) max_x = std::max(max_x, std::fabs(v));
    const tolerance tol = tolerance_for(t, s.n_in, test::rms(wf), max_x);
    cpu::thread_pool pool(n_threads);
    for (cpu::simd_level level : all_levels()) {
        level_scope scope(level);
        std::fill(got.begin(), got.end(), NAN);
        cpu::matmul(pool, w, x.data(), s.n_tok, got.data());
        char what[128];
        std::snprintf(what, sizeof what, "%s %s %lldx%lld n_tok=%lld", dtype_name(uint32_t(t)),
                      cpu::simd_level_name(level), (long long)s.n_out, (long long)s.n_in, (long long)s.n_tok);
        INFO(what);
        CHECK(test::count_mismatches(what, got.data(), want.data(), int64_t(got.size()), tol.atol, tol.rtol) == 0);
    }
}

}  // namespace

TEST_CASE("matmul matches the reference on odd shapes, every type and level") {
    for (dtype t : k_types) {
        const int64_t be = block_elems(uint32_t(t)) == 256 ? 256 : 32;
        const shape shapes[] = {{37, be * 3, 1}, {37, be * 3, 3}, {1, be, 17}, {64, be * 5, 17}, {5, be * 18, 4}};
        for (const shape & s : shapes) check_against_ref(t, s, 2);
    }
}

TEST_CASE("matmul float weights with n_in not a multiple of the vector width") {
    for (dtype t : {dtype::f32, dtype::f16, dtype::bf16}) check_against_ref(t, {9, 37, 5}, 1);
}

TEST_CASE("matmul is batch invariant: n_tok, thread count and tile position do not change bits") {
    const int64_t n_out = 37, big = 33;
    for (dtype t : k_types) {
        const int64_t n_in = block_elems(uint32_t(t)) == 256 ? 512 : 160;
        std::mt19937 rng(uint32_t(t) + 11);
        const std::vector<uint8_t> wdata = test::random_weights(rng, t, n_out, n_in);
        const std::vector<float> x = test::random_floats(rng, size_t(big * n_in));
        const cpu::weight_view w{wdata.data(), t, n_out, n_in};
        cpu::thread_pool pool1(1), pool2(2);
        for (cpu::simd_level level : all_levels()) {
            level_scope scope(level);
            INFO(dtype_name(uint32_t(t)), " ", cpu::simd_level_name(level));
            std::vector<float> all(size_t(big * n_out)), all2(all.size());
            cpu::matmul(pool1, w, x.data(), big, all.data());
            cpu::matmul(pool2, w, x.data(), big, all2.data());
            CHECK(std::memcmp(all.data(), all2.data(), all.size() * 4) == 0);
            // Windows of 1 and 7 tokens starting at every offset put each token in another tile slot.
            for (int64_t n : {int64_t(1), int64_t(7)}) {
                for (int64_t t0 = 0; t0 + n <= big; t0 += 3) {
                    std::vector<float> part(size_t(n * n_out));
                    cpu::matmul(t0 % 2 ? pool2 : pool1, w, x.data() + t0 * n_in, n, part.data());
                    CHECK(std::memcmp(part.data(), all.data() + t0 * n_out, part.size() * 4) == 0);
                }
            }
            // A sub-matrix of rows (another row tiling) gives the same bits too.
            const size_t rb = row_bytes(uint32_t(t), n_in);
            const cpu::weight_view tail{wdata.data() + rb, t, n_out - 1, n_in};
            std::vector<float> shifted(size_t(big * (n_out - 1)));
            cpu::matmul(pool2, tail, x.data(), big, shifted.data());
            for (int64_t tok = 0; tok < big; ++tok) {
                CHECK(std::memcmp(shifted.data() + tok * (n_out - 1), all.data() + tok * n_out + 1,
                                  size_t(n_out - 1) * 4) == 0);
            }
        }
    }
}

// The contract in kernels/cpu/matmul_format.h fixes every float operation of a quantised
// (token, row) result, so each SIMD level must reproduce the scalar level's bits exactly, on
// decode-sized and prefill-sized calls alike. A kernel that reassociated a float step, used
// another activation rounding, or let an integer sum overflow would differ here.
TEST_CASE("quantised matmul: every level gives the scalar level's bits") {
    for (dtype t : k_types) {
        if (is_float(t)) continue;
        const int64_t be = block_elems(uint32_t(t)) == 256 ? 256 : 32;
        for (const shape & s : {shape{37, be * 3, 1}, shape{19, be * 5, 3}, shape{40, be * 7, 29}}) {
            std::mt19937 rng(uint32_t(s.n_out * 31 + s.n_tok + int(t)));
            const std::vector<uint8_t> wdata = test::random_weights(rng, t, s.n_out, s.n_in);
            // Activations with outliers, so blocks have very different scales.
            std::vector<float> x = test::random_floats(rng, size_t(s.n_tok * s.n_in));
            for (size_t i = 0; i < x.size(); i += 97) x[i] *= 40.0f;
            const cpu::weight_view w{wdata.data(), t, s.n_out, s.n_in};
            cpu::thread_pool pool(2);
            std::vector<float> want(size_t(s.n_tok * s.n_out)), got(want.size());
            {
                level_scope scope(cpu::simd_level::scalar);
                cpu::matmul(pool, w, x.data(), s.n_tok, want.data());
            }
            for (cpu::simd_level level : all_levels()) {
                if (level == cpu::simd_level::scalar) continue;
                level_scope scope(level);
                INFO(dtype_name(uint32_t(t)), " ", cpu::simd_level_name(level), " n_in=", s.n_in, " n_tok=", s.n_tok);
                cpu::matmul(pool, w, x.data(), s.n_tok, got.data());
                CHECK(std::memcmp(got.data(), want.data(), got.size() * 4) == 0);
            }
        }
    }
}

// Quantised kernels see x rounded to int8 per block (32 values, 256 for K-quants: d = amax/127,
// nearest even). Given that same rounded x, they must match the reference to f32 rounding:
// a wrong scale, min or offset on any block (which the quantisation-noise tolerance above could
// hide) shows up here as an error many orders of magnitude above the bound.
TEST_CASE("quantised matmul equals the reference on the rounded activations") {
    for (dtype t : k_types) {
        if (is_float(t)) continue;
        const int blk = block_elems(uint32_t(t)) == 256 ? 256 : 32;
        for (const shape & s : {shape{21, blk * 3, 1}, shape{37, blk * 5, 2}, shape{19, blk * 4, 9}}) {
            std::mt19937 rng(uint32_t(s.n_in + s.n_tok * 7 + int(t)));
            const std::vector<uint8_t> wdata = test::random_weights(rng, t, s.n_out, s.n_in);
            std::vector<float> x = test::random_floats(rng, size_t(s.n_tok * s.n_in));
            for (size_t i = 0; i < x.size(); i += 53) x[i] *= 25.0f;
            std::vector<float> xr(x.size());   // x as the kernels see it
            for (size_t b = 0; b < x.size(); b += size_t(blk)) {
                float amax = 0;
                for (int j = 0; j < blk; ++j) amax = std::max(amax, std::fabs(x[b + j]));
                const float d = amax / 127.0f, id = amax > 0 ? 127.0f / amax : 0.0f;
                for (int j = 0; j < blk; ++j) xr[b + j] = std::nearbyint(x[b + j] * id) * d;
            }
            const cpu::weight_view w{wdata.data(), t, s.n_out, s.n_in};
            std::vector<float> want(size_t(s.n_tok * s.n_out)), got(want.size());
            ref::matmul(w, xr.data(), s.n_tok, want.data());
            std::vector<float> wf(size_t(s.n_out * s.n_in));
            ref::dequantize_row(t, wdata.data(), wf.data(), s.n_out * s.n_in);
            cpu::thread_pool pool(2);
            for (cpu::simd_level level : all_levels()) {
                level_scope scope(level);
                cpu::matmul(pool, w, x.data(), s.n_tok, got.data());
                for (int64_t tok = 0; tok < s.n_tok; ++tok) {
                    for (int64_t o = 0; o < s.n_out; ++o) {
                        double mag = 0;   // sum |w x|: the scale of f32 rounding in this dot
                        for (int64_t i = 0; i < s.n_in; ++i) mag += std::fabs(double(wf[o * s.n_in + i]) * xr[tok * s.n_in + i]);
                        const double diff = std::fabs(double(got[tok * s.n_out + o]) - want[tok * s.n_out + o]);
                        if (diff > 1e-5 * mag + 1e-6) {
                            FAIL_CHECK(dtype_name(uint32_t(t)) << " " << cpu::simd_level_name(level) << " n_in=" << s.n_in
                                       << " tok " << tok << " row " << o << ": got " << got[tok * s.n_out + o] << " want "
                                       << want[tok * s.n_out + o] << " (|w x| sum " << mag << ")");
                            tok = s.n_tok;
                            break;
                        }
                    }
                }
            }
        }
    }
}
