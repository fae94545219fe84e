// kv_test_fixture: a small paged KV pool with shuffled page assignment, for kv_append and
// paged_attention tests. Owns the storage the kv_view points into.
#pragma once

#include <algorithm>
#include <numeric>
#include <random>
#include <vector>

#include "kernels/ref/reference.h"
#include "runtime/kv/kv_view.h"

namespace tts::kernels::test {

struct kv_fixture {
    std::vector<uint16_t> k, v;           // [n_layers, n_blocks, n_kv_heads, block_size, head_dim]
    std::vector<int32_t> indptr, indices, lens;
    kv::kv_view view;

    // Sequence s holds seq_lens[s] tokens; pages are a random permutation of the pool (with
    // 3 spare pages) so logical and physical order never agree. K/V start random in [-1, 1].
    // With n_shared_pages > 0, every sequence's first n_shared_pages pages are sequence 0's (as
    // after forking K threads from one prompt); their own copies stay unused in the pool.
    kv_fixture(std::mt19937 & rng, int32_t n_layers, int32_t n_kv_heads, int32_t head_dim, int32_t block_size,
               const std::vector<int32_t> & seq_lens, int32_t n_shared_pages = 0)
        : lens(seq_lens) {
        indptr.push_back(0);
        for (int32_t len : seq_lens) indptr.push_back(indptr.back() + (len + block_size - 1) / block_size);
        const int32_t n_blocks = indptr.back() + 3;
        std::vector<int32_t> perm(static_cast<size_t>(n_blocks));
        std::iota(perm.begin(), perm.end(), 0);
        std::shuffle(perm.begin(), perm.end(), rng);
        indices.assign(perm.begin(), perm.begin() + indptr.back());
        for (size_t s = 1; s < seq_lens.size(); ++s) {
            for (int32_t i = 0; i < n_shared_pages && indptr[s] + i < indptr[s + 1]; ++i)
                indices[size_t(indptr[s] + i)] = indices[size_t(i)];
        }
        view.n_layers = n_layers;
        view.n_kv_heads = n_kv_heads;
        view.head_dim = head_dim;
        view.block_size = block_size;
        view.n_blocks = n_blocks;
        k.resize(size_t(n_layers) * view.layer_elems());
        v.resize(k.size());
        std::uniform_real_distribution<float> u(-1.0f, 1.0f);
        for (uint16_t & h : k) h = ref::f32_to_f16(u(rng));
        for (uint16_t & h : v) h = ref::f32_to_f16(u(rng));
        view.k = k.data();
        view.v = v.data();
        view.n_seqs = int32_t(seq_lens.size());
        view.page_indptr = indptr.data();
        view.page_indices = indices.data();
        view.seq_len = lens.data();
    }
};

}  // namespace tts::kernels::test
