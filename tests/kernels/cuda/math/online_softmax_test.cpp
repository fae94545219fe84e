// online_softmax: paged attention computed with push/merge in the CUDA kernel's exact order
// (warp w of k_attn_warps owns logical pages w, w + k_attn_warps, ...; warps merged in order)
// against ref::paged_attention's two-pass softmax. A wrong rescale factor, a merge that
// mishandles an empty warp (contexts shorter than k_attn_warps pages) or a page/slot mix-up
// in kv_index breaks the comparison.
#include "kernels/cuda/math/online_softmax.h"

#include <doctest/doctest.h>

#include "kernels/cuda/math/half.h"
#include "kernels/cuda/math/kv_index.h"
#include "kernels/cuda/math/reduce.h"
#include "tests/kernels/kernel_test_util.h"
#include "tests/kernels/kv_test_fixture.h"

using namespace tts::kernels;
namespace math = tts::kernels::cuda::math;

namespace {

// One (token, query head) as the kernel computes it; out[head_dim].
void attend_like_kernel(const float * q, const tts::kv::kv_view & kv, int32_t layer, int32_t kvh, int32_t seq,
                        int32_t n_ctx, float scale, float * out) {
    const int d = kv.head_dim;
    math::softmax_state st[math::k_attn_warps];
    std::vector<float> acc(size_t(math::k_attn_warps) * d, 0.0f);
    const int32_t n_pages = (n_ctx + kv.block_size - 1) / kv.block_size;
    for (int w = 0; w < math::k_attn_warps; ++w) {
        float * a = acc.data() + w * d;
        for (int32_t p = w; p < n_pages; p += math::k_attn_warps) {
            const int32_t page = math::kv_page_of(kv, seq, p * kv.block_size);
            const int32_t n = std::min(kv.block_size, n_ctx - p * kv.block_size);
            for (int32_t j = 0; j < n; ++j) {
                const size_t off = math::kv_offset(kv, layer, page, kvh, j);
                float lanes[32] = {};
                for (int i = 0; i < d; ++i) lanes[i % 32] = fmaf(q[i], math::f16_to_f32(kv.k[off + i]), lanes[i % 32]);
                const float s = math::butterfly_sum32(lanes) * scale;
                float alpha, pw;
                math::softmax_push(st[w], s, alpha, pw);
                for (int i = 0; i < d; ++i) a[i] = a[i] * alpha + pw * math::f16_to_f32(kv.v[off + i]);
            }
        }
    }
    for (int w = 1; w < math::k_attn_warps; ++w) {
        float fa, fb;
        math::softmax_merge(st[0], st[w], fa, fb);
        for (int i = 0; i < d; ++i) acc[i] = acc[i] * fa + acc[size_t(w) * d + i] * fb;
    }
    const float inv = math::softmax_finish_scale(st[0]);
    for (int i = 0; i < d; ++i) out[i] = acc[i] * inv;
}

}  // namespace

TEST_CASE("online softmax in the kernel's page/warp order matches ref::paged_attention") {
    std::mt19937 rng(17);
    struct shape { int32_t head_dim, block_size, n_heads, n_kv_heads; };
    for (shape sh : {shape{64, 16, 9, 3}, shape{128, 16, 12, 2}, shape{64, 32, 14, 2}}) {
        // Context lengths: 1 (three empty warps), page boundaries, more pages than warps.
        const std::vector<int32_t> lens = {1, 15, 16, 17, 64, 65, 129, 300};
        test::kv_fixture f(rng, 2, sh.n_kv_heads, sh.head_dim, sh.block_size, lens);
        const int32_t layer = 1, n_tok = int32_t(lens.size());
        std::vector<int32_t> tok_seq(lens.size()), tok_pos(lens.size());
        for (int32_t t = 0; t < n_tok; ++t) {
            tok_seq[t] = t;
            tok_pos[t] = lens[t] - 1;
        }
        std::vector<float> q = test::random_floats(rng, size_t(n_tok) * sh.n_heads * sh.head_dim, -2, 2);
        const float scale = 1.0f / std::sqrt(float(sh.head_dim));
        std::vector<float> want(q.size()), got(q.size());
        ref::paged_attention(q.data(), f.view, layer, sh.n_heads, tok_seq.data(), tok_pos.data(), n_tok, scale, want.data());
        const int32_t group = sh.n_heads / sh.n_kv_heads;
        for (int32_t t = 0; t < n_tok; ++t) {
            for (int32_t h = 0; h < sh.n_heads; ++h) {
                const size_t o = (size_t(t) * sh.n_heads + h) * sh.head_dim;
                attend_like_kernel(q.data() + o, f.view, layer, h / group, tok_seq[t], lens[t], scale, got.data() + o);
            }
        }
        CAPTURE(sh.head_dim);
        CAPTURE(sh.block_size);
        // Outputs are convex combinations of f16 values in [-1, 1]; f32 vs double softmax.
        CHECK(test::count_mismatches("attention", got.data(), want.data(), int64_t(got.size()), 2e-6, 1e-5) == 0);
    }
}

TEST_CASE("softmax_merge: empty states are neutral, order of disjoint sets does not matter") {
    math::softmax_state empty, a, b;
    float alpha, p;
    math::softmax_push(a, 1.5f, alpha, p);
    CHECK(alpha == 0.0f);   // first key: nothing to rescale
    CHECK(p == 1.0f);
    math::softmax_push(a, -0.5f, alpha, p);
    math::softmax_push(b, 3.0f, alpha, p);
    math::softmax_state e = empty;
    float fa, fb;
    math::softmax_merge(e, empty, fa, fb);
    CHECK((fa == 1.0f && fb == 0.0f && e.max == -INFINITY && e.sum == 0.0f));
    math::softmax_state ab = a, ba = b, ae = a;
    math::softmax_merge(ae, empty, fa, fb);
    CHECK((ae.max == a.max && ae.sum == a.sum && fa == 1.0f && fb == 0.0f));
    math::softmax_merge(ab, b, fa, fb);
    math::softmax_merge(ba, a, fa, fb);
    CHECK(ab.max == ba.max);
    CHECK(ab.sum == doctest::Approx(ba.sum).epsilon(1e-6));
    // sum over {1.5, -0.5, 3.0} relative to max 3.0
    CHECK(ab.sum == doctest::Approx(std::exp(-1.5) + std::exp(-3.5) + 1.0).epsilon(1e-6));
    CHECK(math::softmax_finish_scale(empty) == 0.0f);
}
