#include "runtime/kv/kv_cache.h"

#include <cstdint>
#include <numeric>
#include <vector>

#include <doctest/doctest.h>

using namespace tts::kv;

namespace {

const kv_layout k_layout{.n_layers = 2, .n_kv_heads = 2, .head_dim = 4, .block_size = 4};

std::vector<int32_t> iota_tokens(int n, int32_t first) {
    std::vector<int32_t> t(static_cast<size_t>(n));
    std::iota(t.begin(), t.end(), first);
    return t;
}

std::vector<int32_t> csr(const int32_t * p, int n) { return std::vector<int32_t>(p, p + n); }

}  // namespace

TEST_CASE("view lays out the batch in CSR form") {
    kv_cache cache(k_layout, 16);
    cache.add_sequence(7);
    REQUIRE(cache.try_reserve(7, 6));   // pages 0, 1
    cache.fork(7, 8);
    REQUIRE(cache.try_reserve(8, 3));   // COW of page 1 -> 2, then page 3
    cache.add_sequence(9);
    REQUIRE(cache.try_reserve(9, 1));   // page 4

    const std::vector<seq_id> batch = {8, 9, 7};
    const kv_view & v = cache.view(batch);
    CHECK(v.n_seqs == 3);
    CHECK(v.n_layers == 2);
    CHECK(v.n_kv_heads == 2);
    CHECK(v.head_dim == 4);
    CHECK(v.block_size == 4);
    CHECK(v.n_blocks == 16);
    CHECK(v.k == cache.pool().k_data());
    CHECK(v.v == cache.pool().v_data());
    CHECK(csr(v.page_indptr, 4) == std::vector<int32_t>{0, 3, 4, 6});
    CHECK(csr(v.page_indices, 6) == std::vector<int32_t>{0, 2, 3, 4, 0, 1});
    CHECK(csr(v.seq_len, 3) == std::vector<int32_t>{9, 1, 6});
    CHECK(v.page_of(0, 8) == 3);
    CHECK(v.page_of(2, 5) == 1);

    const kv_view & empty = cache.view({});
    CHECK(empty.n_seqs == 0);
    CHECK(empty.page_indptr[0] == 0);
    for (seq_id s : batch) cache.free(s);
    CHECK(cache.n_blocks_free() == 16);
}

TEST_CASE("fork tree with cancellation returns every page") {
    kv_cache cache(k_layout, 64);
    const int32_t start = cache.n_blocks_free();
    cache.add_sequence(0);
    REQUIRE(cache.try_reserve(0, 10));
    for (seq_id k = 1; k <= 8; ++k) cache.fork(0, k);
    CHECK(cache.n_blocks_used() == 3);   // a fork is metadata
    for (seq_id k = 1; k <= 8; ++k) REQUIRE(cache.try_reserve(k, int32_t(k)));
    for (seq_id k = 1; k <= 8; ++k) cache.fork(k, 100 + k);
    const int32_t used_before = cache.n_blocks_used();
    cache.free(3);   // cancel a thread whose child still shares its pages
    cache.free(103);
    CHECK(cache.n_blocks_used() < used_before);
    cache.free(0);
    for (seq_id k : {1, 2, 4, 5, 6, 7, 8}) cache.free(k);
    for (seq_id k = 101; k <= 108; ++k)
        if (k != 103) cache.free(k);
    CHECK(cache.n_sequences() == 0);
    CHECK(cache.n_blocks_free() == start);
    CHECK(cache.bytes_used() == 0);
    CHECK(cache.bytes_used_peak() > 0);
}

TEST_CASE("bytes accounting: unshared versus shared") {
    kv_cache cache(k_layout, 16);
    cache.add_sequence(1);
    REQUIRE(cache.try_reserve(1, 8));
    cache.fork(1, 2);
    cache.fork(1, 3);
    const std::vector<seq_id> all = {1, 2, 3};
    CHECK(cache.bytes_unshared(all) == 6 * k_layout.bytes_per_block());
    CHECK(cache.bytes_shared(all) == 2 * k_layout.bytes_per_block());
    CHECK(cache.bytes_used() == 2 * k_layout.bytes_per_block());
    for (seq_id s : all) cache.free(s);
}

TEST_CASE("out of pool: try_reserve fails cleanly and nothing leaks") {
    kv_cache cache(k_layout, 4);
    cache.add_sequence(1);
    REQUIRE(cache.try_reserve(1, 14));   // 4 pages, last one partial
    cache.fork(1, 2);
    CHECK_FALSE(cache.try_reserve(2, 1));   // needs a COW page: none left
    CHECK(cache.n_tokens(2) == 14);
    CHECK(cache.n_blocks_free() == 0);
    cache.free(1);   // now seq 2 owns the partial page alone
    CHECK(cache.try_reserve(2, 2));
    CHECK_FALSE(cache.try_reserve(2, 1));
    cache.free(2);
    CHECK(cache.n_blocks_free() == 4);
}

TEST_CASE("prefix reuse across requests, and eviction of unreferenced cached pages") {
    kv_cache cache(k_layout, 6);
    const std::vector<int32_t> prompt = iota_tokens(13, 1);   // 3 full pages + 1 token
    cache.add_sequence(1);
    CHECK(cache.match_prefix(1, prompt) == 0);
    REQUIRE(cache.try_reserve(1, int32_t(prompt.size())));
    cache.commit_prefix(1, prompt);
    CHECK(cache.n_blocks_cached() == 3);
    cache.free(1);
    CHECK(cache.n_blocks_used() == 3);       // cached pages stay resident
    CHECK(cache.n_blocks_available() == 6);

    // Same prompt again: 12 tokens reused, sharing the cached pages.
    cache.add_sequence(2);
    CHECK(cache.match_prefix(2, prompt) == 12);
    CHECK(cache.n_tokens(2) == 12);
    REQUIRE(cache.try_reserve(2, 1));
    CHECK(cache.n_blocks_used() == 4);

    // A prompt of exactly 3 pages keeps its last page to compute: 8 tokens reused.
    cache.add_sequence(3);
    CHECK(cache.match_prefix(3, std::vector<int32_t>(prompt.begin(), prompt.begin() + 12)) == 8);
    cache.free(3);
    cache.free(2);

    // A different request needing the whole pool evicts the cached pages.
    cache.add_sequence(4);
    CHECK(cache.match_prefix(4, iota_tokens(13, 900)) == 0);
    REQUIRE(cache.try_reserve(4, 24));
    CHECK(cache.n_blocks_cached() == 0);
    CHECK_FALSE(cache.try_reserve(4, 1));
    cache.free(4);
    CHECK(cache.n_blocks_free() == 6);
}

TEST_CASE("cached pages in use are not evicted; clear_prefix_cache returns the rest") {
    kv_cache cache(k_layout, 4);
    const std::vector<int32_t> prompt = iota_tokens(8, 1);
    cache.add_sequence(1);
    REQUIRE(cache.try_reserve(1, 8));
    cache.commit_prefix(1, prompt);
    cache.add_sequence(2);
    REQUIRE(cache.try_reserve(2, 8));
    CHECK_FALSE(cache.try_reserve(2, 1));   // seq 1 still uses both cached pages
    CHECK(cache.n_tokens(2) == 8);
    cache.free(2);
    cache.free(1);
    CHECK(cache.n_blocks_free() == 2);
    cache.clear_prefix_cache();
    CHECK(cache.n_blocks_free() == 4);
}
