// Every kernels/cuda launcher on a device against kernels/ref (label cuda; skipped without a
// GPU). Where the kernel's arithmetic is fully fixed (dequantisation, the tiled matmul, RMSNorm,
// the f16 K/V writes) the device bits must equal the host-compiled math of kernels/cuda/math
// replayed in the kernel's order (the functions tests/kernels/cuda/math checks on every CPU
// build) or the CPU backend's identical scalar code; where transcendental functions differ between libdevice and glibc (RoPE's
// cos/sin, softmax's exp, SiLU) the check is a tolerance against ref. Batch invariance is
// checked bit for bit: one token alone equals the same token inside a larger batch.
#include "kernels/cuda/matmul.cuh"

#include <doctest/doctest.h>

#include "kernels/cuda/dequant.cuh"
#include "kernels/cuda/dispatch.h"
#include "kernels/cuda/elementwise.cuh"
#include "kernels/cuda/kv_append.cuh"
#include "kernels/cuda/math/quant_chunk.h"
#include "kernels/cuda/math/reduce.h"
#include "kernels/cuda/math/row_math.h"
#include "kernels/cuda/paged_attention.cuh"
#include "kernels/cuda/rmsnorm.cuh"
#include "kernels/cuda/rope.cuh"
#include "tests/kernels/cuda/cuda_test_util.h"
#include "tests/kernels/kernel_test_util.h"
#include "tests/kernels/kv_test_fixture.h"

using namespace tts::kernels;
using test::to_device;
using test::to_host;
namespace kc = tts::kernels::cuda;
namespace math = tts::kernels::cuda::math;

namespace {

int64_t n_in_for(dtype t) { return block_elems(uint32_t(t)) == 256 ? 768 : 576 + 32; }

// The tiled kernel's value for (token, row), replayed on the host: lanes, then butterfly.
std::vector<float> matmul_replay(dtype t, const std::vector<uint8_t> & w, int64_t n_out, int64_t n_in,
                                 const std::vector<float> & x, int64_t n_tok) {
    std::vector<float> y(size_t(n_tok * n_out));
    const size_t rb = row_bytes(uint32_t(t), n_in);
    kc::dispatch_dtype(t, [&](auto tag) {
        for (int64_t tk = 0; tk < n_tok; ++tk)
            for (int64_t o = 0; o < n_out; ++o) {
                float lanes[32];
                for (int l = 0; l < 32; ++l)
                    lanes[l] = math::lane_dot<decltype(tag)::value>(w.data() + o * rb, n_in / 32, x.data() + tk * n_in, l, 32);
                y[size_t(tk * n_out + o)] = math::butterfly_sum32(lanes);
            }
    });
    return y;
}

}  // namespace

TEST_CASE("matmul: every shipped type equals the host replay bit for bit and ref within tolerance") {
    std::mt19937 rng(41);
    for (dtype t : kc::k_shipped_dtypes) {
        for (int64_t n_tok : {1, 5, 8, 13}) {
            const int64_t n_in = n_in_for(t), n_out = 37;
            CAPTURE(dtype_name(uint32_t(t)));
            CAPTURE(n_tok);
            std::vector<uint8_t> w = test::random_weights(rng, t, n_out, n_in);
            std::vector<float> x = test::random_floats(rng, size_t(n_tok * n_in));
            auto dw = to_device(w);
            auto dx = to_device(x);
            kc::device_buffer<float> dy(size_t(n_tok * n_out));
            kc::matmul(kc::device_weight{dw.data(), t, n_out, n_in}, dx.data(), n_tok, dy.data(), nullptr);
            const std::vector<float> got = to_host(dy, size_t(n_tok * n_out));
            CHECK(test::count_bit_diffs("matmul vs replay", got, matmul_replay(t, w, n_out, n_in, x, n_tok)) == 0);
            std::vector<float> want(got.size());
            ref::matmul(cpu::weight_view{w.data(), t, n_out, n_in}, x.data(), n_tok, want.data());
            CHECK(test::count_mismatches("matmul vs ref", got.data(), want.data(), int64_t(got.size()), 1e-3, 1e-4) == 0);
        }
    }
}

TEST_CASE("matmul: a token's row is the same alone and inside a 13-token batch (batch invariance)") {
    std::mt19937 rng(43);
    for (dtype t : {dtype::q4_1, dtype::q4_k, dtype::q6_k, dtype::q5_0}) {
        const int64_t n_in = n_in_for(t), n_out = 64, n_tok = 13;
        std::vector<uint8_t> w = test::random_weights(rng, t, n_out, n_in);
        std::vector<float> x = test::random_floats(rng, size_t(n_tok * n_in));
        auto dw = to_device(w);
        auto dx = to_device(x);
        const kc::device_weight wv{dw.data(), t, n_out, n_in};
        kc::device_buffer<float> dall{size_t(n_tok * n_out)}, done{size_t(n_out)};
        kc::matmul(wv, dx.data(), n_tok, dall.data(), nullptr);
        const std::vector<float> all = to_host(dall, size_t(n_tok * n_out));
        for (int64_t tk : {0, 7, 12}) {
            kc::matmul(wv, dx.data() + tk * n_in, 1, done.data(), nullptr);
            const std::vector<float> one = to_host(done, size_t(n_out));
            CHECK(std::memcmp(one.data(), all.data() + tk * n_out, size_t(n_out) * sizeof(float)) == 0);
        }
    }
}

TEST_CASE("matmul_cublas: dequantised tiles through cuBLAS agree with ref") {
    std::mt19937 rng(47);
    for (dtype t : {dtype::q4_1, dtype::q8_0, dtype::q4_k, dtype::q6_k, dtype::f16}) {
        const int64_t n_in = n_in_for(t), n_out = 301, n_tok = 40;
        std::vector<uint8_t> w = test::random_weights(rng, t, n_out, n_in);
        std::vector<float> x = test::random_floats(rng, size_t(n_tok * n_in));
        auto dw = to_device(w);
        auto dx = to_device(x);
        const kc::device_weight wv{dw.data(), t, n_out, n_in};
        // A scratch of 100 rows forces several tiles, the last one partial.
        kc::device_buffer<float> scratch(size_t(100 * n_in)), dy(size_t(n_tok * n_out));
        kc::cublas_context cb(nullptr);
        kc::matmul_cublas(cb, wv, dx.data(), n_tok, dy.data(), scratch.data(), scratch.size());
        const std::vector<float> got = to_host(dy, size_t(n_tok * n_out));
        std::vector<float> want(got.size());
        ref::matmul(cpu::weight_view{w.data(), t, n_out, n_in}, x.data(), n_tok, want.data());
        CAPTURE(dtype_name(uint32_t(t)));
        CHECK(test::count_mismatches("cublas vs ref", got.data(), want.data(), int64_t(got.size()), 1e-3, 1e-4) == 0);
    }
}

TEST_CASE("dequantize_rows: embedding rows by id equal the CPU backend's bits, and ref") {
    std::mt19937 rng(53);
    for (dtype t : kc::k_shipped_dtypes) {
        const int64_t n_in = n_in_for(t), n_vocab = 50;
        std::vector<uint8_t> w = test::random_weights(rng, t, n_vocab, n_in);
        const std::vector<int32_t> ids = {3, 49, 0, 3, 17};
        auto dw = to_device(w);
        auto did = to_device(ids);
        kc::device_buffer<float> dout(ids.size() * size_t(n_in));
        kc::dequantize_rows(kc::device_weight{dw.data(), t, n_vocab, n_in}, did.data(), 0, int64_t(ids.size()), dout.data(), nullptr);
        const cpu::weight_view wv{w.data(), t, n_vocab, n_in};
        std::vector<float> want(ids.size() * size_t(n_in)), bits(want.size());
        ref::embed_rows(wv, ids.data(), int64_t(ids.size()), want.data());
        cpu::embed_rows(wv, ids.data(), int64_t(ids.size()), bits.data());   // built without FMA contraction, as the kernels
        const std::vector<float> got = to_host(dout, want.size());
        CAPTURE(dtype_name(uint32_t(t)));
        CHECK(test::count_bit_diffs("embed vs cpu", got, bits) == 0);
        CHECK(test::count_mismatches("embed vs ref", got.data(), want.data(), int64_t(got.size()), 0.0, 2.4e-7) == 0);
    }
}

TEST_CASE("rmsnorm: bits equal the host replay of the block tree; odd widths") {
    std::mt19937 rng(59);
    for (int64_t n : {64, 576, 897, 1536}) {
        const int64_t rows = 6;
        std::vector<float> x = test::random_floats(rng, size_t(rows * n), -4, 4), w = test::random_floats(rng, size_t(n), 0.5, 1.5);
        std::vector<float> want(x.size());
        for (int64_t r = 0; r < rows; ++r) {
            float part[kc::k_rmsnorm_threads];
            for (int tid = 0; tid < kc::k_rmsnorm_threads; ++tid)
                part[tid] = math::sum_squares_strided(x.data() + r * n, n, tid, kc::k_rmsnorm_threads);
            for (int half = kc::k_rmsnorm_threads / 2; half > 0; half /= 2)
                for (int i = 0; i < half; ++i) part[i] += part[i + half];
            const float s = math::rms_scale(part[0], n, 1e-5f);
            for (int64_t i = 0; i < n; ++i) want[size_t(r * n + i)] = math::rms_apply(x[size_t(r * n + i)], w[size_t(i)], s);
        }
        auto dx = to_device(x);
        auto dw = to_device(w);
        kc::rmsnorm(dx.data(), dw.data(), dx.data(), rows, n, 1e-5f, nullptr);   // in place, as the decoder's q/k norms
        CAPTURE(n);
        CHECK(test::count_bit_diffs("rmsnorm", to_host(dx, x.size()), want) == 0);
    }
}

TEST_CASE("rope and silu_mul agree with ref (libdevice vs glibc transcendental functions)") {
    std::mt19937 rng(61);
    const std::vector<int32_t> pos = {0, 1, 15, 16, 999, 32768};
    for (bool neox : {false, true}) {
        for (int64_t hd : {64, 128}) {
            const int64_t n_heads = 3, n_tok = int64_t(pos.size());
            std::vector<float> x = test::random_floats(rng, size_t(n_tok * n_heads * hd), -3, 3), want = x;
            ref::rope(want.data(), n_tok, n_heads, hd, pos.data(), 10000.0f, neox ? cpu::rope_mode::neox : cpu::rope_mode::normal);
            auto dx = to_device(x);
            auto dp = to_device(pos);
            kc::rope(dx.data(), n_tok, n_heads, hd, dp.data(), 10000.0f, neox, nullptr);
            const std::vector<float> got = to_host(dx, x.size());
            CHECK(test::count_mismatches("rope", got.data(), want.data(), int64_t(got.size()), 3e-6, 1e-6) == 0);
        }
    }
    std::vector<float> g = test::random_floats(rng, 3001, -12, 12), u = test::random_floats(rng, 3001, -2, 2), want(g.size());
    ref::silu_mul(g.data(), u.data(), want.data(), int64_t(g.size()));
    auto dg = to_device(g);
    auto du = to_device(u);
    kc::silu_mul(dg.data(), du.data(), dg.data(), int64_t(g.size()), nullptr);
    const std::vector<float> got = to_host(dg, g.size());
    CHECK(test::count_mismatches("silu_mul", got.data(), want.data(), int64_t(got.size()), 1e-7, 2e-6) == 0);
}

namespace {

// A kv_fixture's pool and CSR copied to the device; view() has device pointers.
struct device_kv {
    kc::device_buffer<uint16_t> k, v;
    kc::device_buffer<int32_t> indptr, indices, lens;
    tts::kv::kv_view dview;
    explicit device_kv(const test::kv_fixture & f)
        : k(to_device(f.k)), v(to_device(f.v)), indptr(to_device(f.indptr)), indices(to_device(f.indices)),
          lens(to_device(f.lens)), dview(f.view) {
        dview.k = k.data();
        dview.v = v.data();
        dview.page_indptr = indptr.data();
        dview.page_indices = indices.data();
        dview.seq_len = lens.data();
    }
};

}  // namespace

TEST_CASE("kv_append writes the reference's f16 bits into the right pages") {
    std::mt19937 rng(67);
    for (int32_t hd : {64, 128}) {
        test::kv_fixture f(rng, 2, 2, hd, 16, {5, 16, 33});
        const std::vector<int32_t> seq = {0, 1, 2, 2, 0}, pos = {4, 15, 32, 16, 0};
        const int64_t n = int64_t(seq.size()), row = 2 * hd;
        std::vector<float> k = test::random_floats(rng, size_t(n * row), -70000, 70000);   // some overflow f16
        std::vector<float> v = test::random_floats(rng, size_t(n * row), -1e-6f, 1e-6f);   // some subnormal
        device_kv d(f);
        auto dk = to_device(k);
        auto dv = to_device(v);
        auto ds = to_device(seq);
        auto dp = to_device(pos);
        kc::kv_append(d.dview, 1, dk.data(), dv.data(), ds.data(), dp.data(), n, nullptr);
        ref::kv_append(f.view, 1, k.data(), v.data(), seq.data(), pos.data(), n);   // host pool: the expectation
        CHECK(to_host(d.k, f.k.size()) == f.k);
        CHECK(to_host(d.v, f.v.size()) == f.v);
    }
}

TEST_CASE("paged_attention agrees with ref, and a token's output does not depend on its batch") {
    std::mt19937 rng(71);
    struct shape { int32_t hd, n_heads, n_kv; };
    for (shape sh : {shape{64, 9, 3}, shape{128, 12, 2}, shape{64, 14, 2}}) {
        const std::vector<int32_t> lens = {1, 16, 17, 100, 257};
        test::kv_fixture f(rng, 2, sh.n_kv, sh.hd, 16, lens);
        std::vector<int32_t> seq, pos;
        for (int32_t s = 0; s < int32_t(lens.size()); ++s) {
            seq.push_back(s), pos.push_back(lens[s] - 1);
            seq.push_back(s), pos.push_back(lens[s] / 2);   // a prefill-like earlier position too
        }
        const int64_t n = int64_t(seq.size()), qn = int64_t(sh.n_heads) * sh.hd;
        std::vector<float> q = test::random_floats(rng, size_t(n * qn), -2, 2), want(q.size());
        const float scale = 1.0f / std::sqrt(float(sh.hd));
        ref::paged_attention(q.data(), f.view, 1, sh.n_heads, seq.data(), pos.data(), n, scale, want.data());
        device_kv d(f);
        auto dq = to_device(q);
        auto ds = to_device(seq);
        auto dp = to_device(pos);
        kc::device_buffer<float> dout(q.size());
        kc::paged_attention(dq.data(), d.dview, 1, sh.n_heads, ds.data(), dp.data(), n, scale, dout.data(), nullptr);
        const std::vector<float> got = to_host(dout, q.size());
        CAPTURE(sh.hd);
        CHECK(test::count_mismatches("attention", got.data(), want.data(), int64_t(got.size()), 2e-6, 1e-5) == 0);
        for (int64_t t : {int64_t(0), n - 1, n / 2}) {
            kc::device_buffer<float> one{size_t(qn)};
            kc::paged_attention(dq.data() + t * qn, d.dview, 1, sh.n_heads, ds.data() + t, dp.data() + t, 1, scale,
                                one.data(), nullptr);
            CHECK(std::memcmp(to_host(one, size_t(qn)).data(), got.data() + t * qn, size_t(qn) * sizeof(float)) == 0);
        }
    }
}

TEST_CASE("elementwise: bias, residual add, gather") {
    std::mt19937 rng(73);
    const int64_t rows = 5, dim = 96;
    std::vector<float> y = test::random_floats(rng, size_t(rows * dim)), b = test::random_floats(rng, size_t(dim));
    auto dy = to_device(y);
    auto db = to_device(b);
    kc::add_bias(dy.data(), db.data(), rows, dim, nullptr);
    kc::add_into(dy.data(), db.data(), dim, nullptr);   // row 0 gets the bias twice
    const std::vector<int32_t> pick = {4, 0, 4};
    auto dpick = to_device(pick);
    kc::device_buffer<float> dg(pick.size() * size_t(dim));
    kc::gather_rows(dy.data(), dpick.data(), int64_t(pick.size()), dim, dg.data(), nullptr);
    const std::vector<float> got = to_host(dy, y.size()), gathered = to_host(dg, pick.size() * size_t(dim));
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t i = 0; i < dim; ++i) {
            float want = y[size_t(r * dim + i)] + b[size_t(i)];
            if (r == 0) want += b[size_t(i)];
            REQUIRE(got[size_t(r * dim + i)] == want);
        }
    for (size_t k = 0; k < pick.size(); ++k)
        CHECK(std::memcmp(gathered.data() + k * dim, got.data() + pick[k] * dim, size_t(dim) * sizeof(float)) == 0);
}
