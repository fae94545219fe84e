// rope_pair: the per-pair rotation the CUDA rope kernel applies, against ref::rope, both
// pairings, head sizes 64 / 128 and an odd pair count, positions up to 10^5. Swapping the
// neox/normal partner, dropping the double-precision angle (error grows with position) or
// rotating the wrong way fails here.
#include "kernels/cuda/math/rope_pair.h"

#include <doctest/doctest.h>

#include "tests/kernels/kernel_test_util.h"

using namespace tts::kernels;
namespace math = tts::kernels::cuda::math;

TEST_CASE("rope_rotate over every pair matches ref::rope") {
    std::mt19937 rng(23);
    const std::vector<int32_t> pos = {0, 1, 7, 16, 255, 4096, 32767, 100000};
    for (bool neox : {false, true}) {
        for (int head_dim : {64, 128, 6}) {
            for (float base : {10000.0f, 1000000.0f}) {
                const int n_heads = 3, n_tok = int(pos.size());
                std::vector<float> x = test::random_floats(rng, size_t(n_tok) * n_heads * head_dim, -3, 3), want = x;
                ref::rope(want.data(), n_tok, n_heads, head_dim, pos.data(), base,
                          neox ? cpu::rope_mode::neox : cpu::rope_mode::normal);
                for (int t = 0; t < n_tok; ++t) {
                    for (int h = 0; h < n_heads; ++h) {
                        float * v = x.data() + (size_t(t) * n_heads + h) * head_dim;
                        for (int i = 0; i < head_dim / 2; ++i) {
                            float cs, sn;
                            math::rope_cos_sin(pos[t], i, head_dim, base, cs, sn);
                            math::rope_rotate(v[math::rope_first(neox, i)], v[math::rope_second(neox, i, head_dim)], cs, sn);
                        }
                    }
                }
                CAPTURE(neox);
                CAPTURE(head_dim);
                CAPTURE(base);
                // float cos/sin and float products against double throughout: a few ulp of |x|<=3*sqrt2.
                CHECK(test::count_mismatches("rope", x.data(), want.data(), int64_t(x.size()), 3e-6, 1e-6) == 0);
            }
        }
    }
}
