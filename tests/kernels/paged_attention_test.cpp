// paged_attention_test: decode at page-boundary positions, causal prefill, GQA groupings and
// two page sizes against the reference; batch/thread invariance; partial-state merging.
#include "kernels/cpu/ops.h"

#include <doctest/doctest.h>

#include <cmath>
#include <cstring>

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
    for (int32_t bs : {16, 32}) {
        for (int32_t n_kv_heads : {1, 3}) {
            const int64_t n_heads = 9, d = 64;
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
                INFO("block_size ", bs, " kv heads ", n_kv_heads, " ", cpu::simd_level_name(level));
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

TEST_CASE("attention partial states over a prefix and a suffix merge to the full result") {
    std::mt19937 rng(11);
    const int32_t group = 3, d = 64, bs = 16, n_keys = 75;   // prefix = 3 full pages, suffix = 27 keys
    test::kv_fixture kv(rng, 1, 1, d, bs, {n_keys});
    const std::vector<float> q = test::random_floats(rng, size_t(group * d), -2, 2);
    const cpu::vec_ops & ops = cpu::vec_ops_for(cpu::simd_level_active());
    auto make = [&](std::vector<float> & buf) {
        buf.assign(size_t(group * (2 + d)), 0.0f);
        return cpu::attn_partial{group, d, buf.data(), buf.data() + group, buf.data() + 2 * group};
    };
    std::vector<float> b_full, b_pre, b_suf, scratch(size_t(bs * (d + group)));
    cpu::attn_partial full = make(b_full), pre = make(b_pre), suf = make(b_suf);
    cpu::reset(full);
    cpu::reset(pre);
    cpu::reset(suf);
    const int32_t * pages = kv.view.page_indices;
    cpu::attend_pages(ops, q.data(), kv.view, 0, 0, pages, n_keys, 0.125f, full, scratch.data());
    cpu::attend_pages(ops, q.data(), kv.view, 0, 0, pages, 3 * bs, 0.125f, pre, scratch.data());
    cpu::attend_pages(ops, q.data(), kv.view, 0, 0, pages + 3, n_keys - 3 * bs, 0.125f, suf, scratch.data());
    cpu::merge(ops, pre, suf);
    std::vector<float> a(size_t(group * d)), m(a.size());
    cpu::finish(full, a.data());
    cpu::finish(pre, m.data());
    CHECK(test::count_mismatches("merge", m.data(), a.data(), int64_t(a.size()), 1e-6, 1e-5) == 0);
}
