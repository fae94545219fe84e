// kv_index: the device twins of kv_view::offset / page_of must agree with them exactly, or
// the CUDA kernels would read and write other pages than the CPU backend and runtime/kv.
#include "kernels/cuda/math/kv_index.h"

#include <doctest/doctest.h>

#include "tests/kernels/kv_test_fixture.h"

namespace math = tts::kernels::cuda::math;

TEST_CASE("kv_offset and kv_page_of equal kv_view's own arithmetic") {
    std::mt19937 rng(37);
    struct geo { int32_t layers, heads, dim, block; };
    for (geo g : {geo{3, 3, 64, 16}, geo{2, 2, 128, 16}, geo{1, 5, 32, 7}}) {
        tts::kernels::test::kv_fixture f(rng, g.layers, g.heads, g.dim, g.block, {1, 16, 17, 40, 3});
        for (int32_t s = 0; s < f.view.n_seqs; ++s) {
            for (int32_t p = 0; p < f.lens[s]; ++p) {
                const int32_t page = f.view.page_of(s, p);
                REQUIRE(math::kv_page_of(f.view, s, p) == page);
                for (int32_t l = 0; l < g.layers; ++l)
                    for (int32_t h = 0; h < g.heads; ++h)
                        REQUIRE(math::kv_offset(f.view, l, page, h, p % g.block) == f.view.offset(l, page, h, p % g.block));
            }
        }
    }
}
