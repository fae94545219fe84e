// backend_parity_test: the one list of every op in kernels/cpu/ops.h, each run on every backend
// (today: cpu at each SIMD level; cuda joins when it exists) against kernels/ref on a mid-sized
// shape. Adding an op to ops.h without a row here fails review (STYLE R9).
#include "kernels/cpu/ops.h"

#include <doctest/doctest.h>

#include <functional>

#include "tests/kernels/kernel_test_util.h"
#include "tests/kernels/kv_test_fixture.h"

using namespace tts::kernels;

namespace {

struct op_case {
    const char * name;
    // Runs the op on the active backend and the reference; returns the mismatch count.
    std::function<int64_t(cpu::thread_pool &)> run;
};

int64_t matmul_case(cpu::thread_pool & pool, dtype t) {
    std::mt19937 rng(21);
    const int64_t n_out = 45, n_in = block_elems(uint32_t(t)) == 256 ? 768 : 576, n_tok = 9;
    const std::vector<uint8_t> wd = test::random_weights(rng, t, n_out, n_in);
    const std::vector<float> x = test::random_floats(rng, size_t(n_tok * n_in));
    const cpu::weight_view w{wd.data(), t, n_out, n_in};
    std::vector<float> got(size_t(n_tok * n_out)), want(got.size()), wf(size_t(n_out * n_in));
    cpu::matmul(pool, w, x.data(), n_tok, got.data());
    ref::matmul(w, x.data(), n_tok, want.data());
    ref::dequantize_row(t, wd.data(), wf.data(), n_out * n_in);
    const bool is_float = t == dtype::f32 || t == dtype::f16 || t == dtype::bf16;
    const double walk = std::sqrt(double(n_in)) * test::rms(wf);   // see matmul_test.cpp
    return test::count_mismatches(dtype_name(uint32_t(t)), got.data(), want.data(), int64_t(got.size()),
                                  (is_float ? 2e-6 : 0.02) * walk, 1e-3);
}

std::vector<op_case> all_ops() {
    std::vector<op_case> ops;
    for (dtype t : {dtype::f32, dtype::f16, dtype::bf16, dtype::q4_0, dtype::q4_1, dtype::q5_0, dtype::q5_1,
                    dtype::q8_0, dtype::q4_k, dtype::q6_k}) {
        ops.push_back({"matmul", [t](cpu::thread_pool & pool) { return matmul_case(pool, t); }});
    }
    ops.push_back({"embed_rows", [](cpu::thread_pool &) {
        std::mt19937 rng(22);
        const std::vector<uint8_t> wd = test::random_weights(rng, dtype::q8_0, 50, 576);
        const cpu::weight_view w{wd.data(), dtype::q8_0, 50, 576};
        const int32_t ids[] = {49, 0, 7};
        std::vector<float> got(3 * 576), want(got.size());
        cpu::embed_rows(w, ids, 3, got.data());
        ref::embed_rows(w, ids, 3, want.data());
        return test::count_mismatches("embed_rows", got.data(), want.data(), int64_t(got.size()), 0, 1e-6);
    }});
    ops.push_back({"rmsnorm", [](cpu::thread_pool &) {
        std::mt19937 rng(23);
        const std::vector<float> x = test::random_floats(rng, 4 * 576), w = test::random_floats(rng, 576);
        std::vector<float> got(x.size()), want(x.size());
        cpu::rmsnorm(x.data(), w.data(), got.data(), 4, 576, 1e-5f);
        ref::rmsnorm(x.data(), w.data(), want.data(), 4, 576, 1e-5f);
        return test::count_mismatches("rmsnorm", got.data(), want.data(), int64_t(got.size()), 1e-6, 1e-5);
    }});
    ops.push_back({"rope", [](cpu::thread_pool &) {
        std::mt19937 rng(24);
        const int32_t pos[] = {3, 100, 2000};
        std::vector<float> got = test::random_floats(rng, 3 * 9 * 64), want = got;
        cpu::rope(got.data(), 3, 9, 64, pos, 10000.0f, cpu::rope_mode::neox);
        ref::rope(want.data(), 3, 9, 64, pos, 10000.0f, cpu::rope_mode::neox);
        return test::count_mismatches("rope", got.data(), want.data(), int64_t(got.size()), 1e-6, 1e-5);
    }});
    ops.push_back({"silu_mul", [](cpu::thread_pool &) {
        std::mt19937 rng(25);
        const std::vector<float> g = test::random_floats(rng, 1536, -8, 8), u = test::random_floats(rng, 1536);
        std::vector<float> got(1536), want(1536);
        cpu::silu_mul(g.data(), u.data(), got.data(), 1536);
        ref::silu_mul(g.data(), u.data(), want.data(), 1536);
        return test::count_mismatches("silu_mul", got.data(), want.data(), 1536, 1e-7, 1e-5);
    }});
    ops.push_back({"kv_append", [](cpu::thread_pool &) {
        std::mt19937 rng(26);
        test::kv_fixture a(rng, 1, 3, 64, 16, {20}), b = a;
        b.view.k = b.k.data();
        b.view.v = b.v.data();
        const int32_t seq[] = {0, 0}, pos[] = {16, 19};
        const std::vector<float> k = test::random_floats(rng, 2 * 192), v = test::random_floats(rng, 2 * 192);
        cpu::kv_append(a.view, 0, k.data(), v.data(), seq, pos, 2);
        ref::kv_append(b.view, 0, k.data(), v.data(), seq, pos, 2);
        return int64_t(a.k != b.k) + int64_t(a.v != b.v);
    }});
    ops.push_back({"paged_attention", [](cpu::thread_pool & pool) {
        std::mt19937 rng(27);
        test::kv_fixture kv(rng, 1, 3, 64, 16, {33, 16});
        const int32_t seq[] = {0, 1, 0}, pos[] = {32, 15, 31};
        const std::vector<float> q = test::random_floats(rng, 3 * 9 * 64);
        std::vector<float> got(q.size()), want(q.size());
        cpu::paged_attention(pool, q.data(), kv.view, 0, 9, seq, pos, 3, 0.125f, got.data());
        ref::paged_attention(q.data(), kv.view, 0, 9, seq, pos, 3, 0.125f, want.data());
        return test::count_mismatches("paged_attention", got.data(), want.data(), int64_t(got.size()), 2e-6, 1e-4);
    }});
    return ops;
}

}  // namespace

TEST_CASE("every op agrees with the reference on every backend") {
    cpu::thread_pool pool(2);
    for (const op_case & op : all_ops()) {
        for (cpu::simd_level level : test::all_levels()) {
            test::level_scope scope(level);
            INFO(op.name, " on cpu/", cpu::simd_level_name(level));
            CHECK(op.run(pool) == 0);
        }
    }
}
