// paged_attention_test: decode at page-boundary positions, causal prefill, GQA groupings, head
// sizes and two page sizes against the reference; sibling sequences sharing prompt pages;
// batch/thread invariance (bits); the tile kernels of every level; partial-state merging.
#include "kernels/cpu/ops.h"

#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <tuple>
#include <utility>

#include "kernels/cpu/attention_partial.h"
#include "tests/kernels/kernel_test_util.h"
#include "tests/kernels/kv_test_fixture.h"

using namespace tts::kernels;

namespace {

// Decode tokens at positions 15,16,17,31,32,33 (and 0) plus a 40-token causal prefill run.
struct batch {
    std::vector<int32_t> seq, pos;
};

batch make_batch() {
    batch b;
    const int32_t last[] = {15, 16, 17, 31, 32, 33, 0};
    for (int32_t s = 0; s < 7; ++s) b.seq.push_back(s), b.pos.push_back(last[s]);
    for (int32_t p = 0; p < 40; ++p) b.seq.push_back(7), b.pos.push_back(p);
    return b;
}

const std::vector<int32_t> k_lens = {16, 17, 18, 32, 33, 34, 1, 40};

}  // namespace

TEST_CASE("paged_attention matches the reference at page boundaries") {
    std::mt19937 rng(8);
    const batch b = make_batch();
    const int64_t n_tok = int64_t(b.seq.size());
    // head_dim 64 and 128 take the unrolled tile paths, 40 the generic ones (scalar at avx512).
    for (auto [bs, d] : {std::pair<int32_t, int64_t>{16, 64}, {32, 64}, {16, 128}, {16, 40}}) {
        for (int32_t n_kv_heads : {1, 3}) {
            const int64_t n_heads = 9;
            test::kv_fixture kv(rng, 2, n_kv_heads, int32_t(d), bs, k_lens);
            const std::vector<float> q = test::random_floats(rng, size_t(n_tok * n_heads * d), -2, 2);
            std::vector<float> want(q.size());
            ref::paged_attention(q.data(), kv.view, 1, n_heads, b.seq.data(), b.pos.data(), n_tok, 0.125f, want.data());
            cpu::thread_pool pool(2);
            for (cpu::simd_level level : test::all_levels()) {
                test::level_scope scope(level);
                std::vector<float> got(q.size(), NAN);
                cpu::paged_attention(pool, q.data(), kv.view, 1, n_heads, b.seq.data(), b.pos.data(), n_tok, 0.125f,
                                     got.data());
                INFO("block_size ", bs, " head_dim ", d, " kv heads ", n_kv_heads, " ", cpu::simd_level_name(level));
                // Same f16 K/V; f32 online softmax vs double two-pass: ~1e-6 relative.
                CHECK(test::count_mismatches("paged_attention", got.data(), want.data(), int64_t(got.size()), 2e-6,
                                             1e-4) == 0);
            }
        }
    }
}

TEST_CASE("paged_attention is batch and thread-count invariant") {
    std::mt19937 rng(10);
    const batch b = make_batch();
    const int64_t n_tok = int64_t(b.seq.size()), n_heads = 9, d = 64, row = n_heads * d;
    test::kv_fixture kv(rng, 1, 3, int32_t(d), 16, k_lens);
    const std::vector<float> q = test::random_floats(rng, size_t(n_tok * row), -2, 2);
    cpu::thread_pool pool1(1), pool2(2);
    for (cpu::simd_level level : test::all_levels()) {
        test::level_scope scope(level);
        std::vector<float> all(q.size()), all2(q.size());
        cpu::paged_attention(pool2, q.data(), kv.view, 0, n_heads, b.seq.data(), b.pos.data(), n_tok, 0.125f, all.data());
        cpu::paged_attention(pool1, q.data(), kv.view, 0, n_heads, b.seq.data(), b.pos.data(), n_tok, 0.125f, all2.data());
        CHECK(all == all2);
        for (int64_t t = 0; t < n_tok; t += 5) {
            std::vector<float> one(static_cast<size_t>(row));
            cpu::paged_attention(pool2, q.data() + t * row, kv.view, 0, n_heads, &b.seq[t], &b.pos[t], 1, 0.125f,
                                 one.data());
            CHECK(std::memcmp(one.data(), all.data() + t * row, size_t(row) * 4) == 0);
        }
    }
}

namespace {

// 6 threads forked from a 40-token prompt (pages 0-1 shared, page 2 partly written by the prompt
// and copied per thread): decode tokens at different depths, one thread with a 3-token chunk
// (injected tokens), plus the prompt's own 40-token prefill as sequence 0.
struct sibling_batch {
    std::vector<int32_t> lens{40, 41, 47, 48, 49, 64, 66};
    std::vector<int32_t> seq, pos;
    sibling_batch() {
        for (int32_t p = 0; p < 40; ++p) seq.push_back(0), pos.push_back(p);
        for (int32_t s = 1; s < int32_t(lens.size()); ++s) {
            for (int32_t p = s == 5 ? lens[size_t(s)] - 3 : lens[size_t(s)] - 1; p < lens[size_t(s)]; ++p)
                seq.push_back(s), pos.push_back(p);
        }
    }
};

}  // namespace

TEST_CASE("paged_attention over sibling sequences sharing prompt pages: reference and invariance") {
    // Breaking the page sharing (e.g. widening the wrong page for a run, or a token's state
    // seeing pages out of order) changes values (reference) or bits (alone vs in the batch).
    std::mt19937 rng(12);
    const sibling_batch b;
    for (auto [n_kv_heads, n_heads, d] : {std::tuple<int32_t, int64_t, int64_t>{2, 14, 64}, {3, 9, 64}, {2, 12, 128}}) {
        test::kv_fixture kv(rng, 1, n_kv_heads, int32_t(d), 16, b.lens, 2);
        const int64_t n_tok = int64_t(b.seq.size()), row = n_heads * d;
        const std::vector<float> q = test::random_floats(rng, size_t(n_tok * row), -2, 2);
        std::vector<float> want(q.size());
        ref::paged_attention(q.data(), kv.view, 0, n_heads, b.seq.data(), b.pos.data(), n_tok, 0.125f, want.data());
        cpu::thread_pool pool1(1), pool2(2), pool3(3);
        for (cpu::simd_level level : test::all_levels()) {
            test::level_scope scope(level);
            INFO("kv heads ", n_kv_heads, " head_dim ", d, " ", cpu::simd_level_name(level));
            std::vector<float> all(q.size(), NAN), all1(q.size(), NAN), all3(q.size(), NAN);
            cpu::paged_attention(pool2, q.data(), kv.view, 0, n_heads, b.seq.data(), b.pos.data(), n_tok, 0.125f,
                                 all.data());
            CHECK(test::count_mismatches("siblings", all.data(), want.data(), int64_t(all.size()), 2e-6, 1e-4) == 0);
            cpu::paged_attention(pool1, q.data(), kv.view, 0, n_heads, b.seq.data(), b.pos.data(), n_tok, 0.125f,
                                 all1.data());
            cpu::paged_attention(pool3, q.data(), kv.view, 0, n_heads, b.seq.data(), b.pos.data(), n_tok, 0.125f,
                                 all3.data());
            CHECK(std::memcmp(all.data(), all1.data(), all.size() * 4) == 0);
            CHECK(std::memcmp(all.data(), all3.data(), all.size() * 4) == 0);
            for (int64_t t = 0; t < n_tok; ++t) {
                std::vector<float> one(static_cast<size_t>(row));
                cpu::paged_attention(pool2, q.data() + t * row, kv.view, 0, n_heads, &b.seq[size_t(t)],
                                     &b.pos[size_t(t)], 1, 0.125f, one.data());
                CHECK(std::memcmp(one.data(), all.data() + t * row, size_t(row) * 4) == 0);
            }
            // The threads' 8 tokens without the prompt's prefill.
            const int64_t t0 = n_tok - 8;
            std::vector<float> tail(size_t(8 * row));
            cpu::paged_attention(pool2, q.data() + t0 * row, kv.view, 0, n_heads, &b.seq[size_t(t0)], &b.pos[size_t(t0)],
                                 8, 0.125f, tail.data());
            CHECK(std::memcmp(tail.data(), all.data() + t0 * row, tail.size() * 4) == 0);
        }
    }
}

TEST_CASE("attention tiles: widening is exact, every level matches the scalar tile, heads are independent") {
    // A head's result must not depend on the heads beside it in one call (register pairing).
    std::mt19937 rng(13);
    for (auto [bs, d] : {std::pair<int32_t, int32_t>{16, 64}, {16, 128}, {32, 64}, {16, 48}, {8, 24}}) {
        const int32_t n_q = 5;
        std::vector<uint16_t> k(size_t(bs * d)), v(k.size());
        for (auto & h : k) h = ref::f32_to_f16(std::uniform_real_distribution<float>(-1, 1)(rng));
        for (auto & h : v) h = ref::f32_to_f16(std::uniform_real_distribution<float>(-1, 1)(rng));
        const std::vector<float> q = test::random_floats(rng, size_t(n_q * d), -2, 2);
        const cpu::attn_tile_ops & scalar = cpu::attn_tile_ops_for(cpu::simd_level::scalar, bs, d);
        for (cpu::simd_level level : test::all_levels()) {
            INFO("bs ", bs, " d ", d, " ", cpu::simd_level_name(level));
            const cpu::attn_tile_ops & ops = cpu::attn_tile_ops_for(level, bs, d);
            std::vector<float> kt(k.size(), NAN), vf(k.size(), NAN);
            ops.widen(k.data(), v.data(), bs, d, kt.data(), vf.data());
            int64_t bad = 0;
            for (int32_t j = 0; j < bs; ++j)
                for (int32_t i = 0; i < d; ++i)
                    bad += kt[size_t(i * bs + j)] != ref::f16_to_f32(k[size_t(j * d + i)]) ||
                           vf[size_t(j * d + i)] != ref::f16_to_f32(v[size_t(j * d + i)]);
            CHECK(bad == 0);
            for (int32_t n : {1, 7, bs - 1, bs}) {
                // Two pages in a row: the second rescales the first's state.
                std::vector<float> scratch(size_t(n_q * (bs + 1)));
                auto run = [&](const cpu::attn_tile_ops & o, int32_t h0, int32_t nh, std::vector<float> & m,
                               std::vector<float> & l, std::vector<float> & acc) {
                    o.attend(q.data() + h0 * d, nh, kt.data(), vf.data(), bs, d, n, 0.2f, m.data() + h0, l.data() + h0,
                             acc.data() + h0 * d, scratch.data());
                    o.attend(q.data() + h0 * d, nh, kt.data(), vf.data(), bs, d, bs, 0.1f, m.data() + h0, l.data() + h0,
                             acc.data() + h0 * d, scratch.data());
                };
                auto fresh = [&](std::vector<float> & m, std::vector<float> & l, std::vector<float> & acc) {
                    m.assign(size_t(n_q), -INFINITY);
                    l.assign(size_t(n_q), 0.0f);
                    acc.assign(size_t(n_q * d), 0.0f);
                };
                std::vector<float> m, l, acc, m1, l1, acc1, ms, ls, accs;
                fresh(m, l, acc);
                fresh(m1, l1, acc1);
                fresh(ms, ls, accs);
                run(ops, 0, n_q, m, l, acc);
                for (int32_t h = 0; h < n_q; ++h) run(ops, h, 1, m1, l1, acc1);
                run(scalar, 0, n_q, ms, ls, accs);
                CHECK(m == m1);
                CHECK(l == l1);
                CHECK(acc == acc1);
                CHECK(test::count_mismatches("tile l", l.data(), ls.data(), n_q, 0, 1e-5) == 0);
                CHECK(test::count_mismatches("tile acc", acc.data(), accs.data(), n_q * d, 1e-6, 1e-5) == 0);
            }
        }
    }
}

TEST_CASE("attention partial states over a prefix and a suffix merge to the full result") {
    std::mt19937 rng(11);
    const int32_t group = 3, d = 64, bs = 16, n_keys = 75;   // prefix = 3 full pages, suffix = 27 keys
    test::kv_fixture kv(rng, 1, 1, d, bs, {n_keys});
    const std::vector<float> q = test::random_floats(rng, size_t(group * d), -2, 2);
    const cpu::attn_tile_ops & ops = cpu::attn_tile_ops_for(cpu::simd_level_active(), bs, d);
    auto make = [&](std::vector<float> & buf) {
        buf.assign(size_t(group * (2 + d)), 0.0f);
        return cpu::attn_partial{group, d, buf.data(), buf.data() + group, buf.data() + 2 * group};
    };
    std::vector<float> b_full, b_pre, b_suf, scratch(cpu::attend_scratch_floats(bs, d, group));
    cpu::attn_partial full = make(b_full), pre = make(b_pre), suf = make(b_suf);
    cpu::reset(full);
    cpu::reset(pre);
    cpu::reset(suf);
    const int32_t * pages = kv.view.page_indices;
    cpu::attend_pages(ops, q.data(), kv.view, 0, 0, pages, n_keys, 0.125f, full, scratch.data());
    cpu::attend_pages(ops, q.data(), kv.view, 0, 0, pages, 3 * bs, 0.125f, pre, scratch.data());
    cpu::attend_pages(ops, q.data(), kv.view, 0, 0, pages + 3, n_keys - 3 * bs, 0.125f, suf, scratch.data());
    cpu::merge(pre, suf);
    std::vector<float> a(size_t(group * d)), m(a.size());
    cpu::finish(full, a.data());
    cpu::finish(pre, m.data());
    CHECK(test::count_mismatches("merge", m.data(), a.data(), int64_t(a.size()), 1e-6, 1e-5) == 0);
}
