#include "runtime/kv/prefix_index.h"

#include <cstdint>
#include <numeric>
#include <vector>

#include <doctest/doctest.h>

using namespace tts::kv;

namespace {

const kv_layout k_layout{.n_layers = 1, .n_kv_heads = 1, .head_dim = 2, .block_size = 4};

std::vector<int32_t> iota_tokens(int n, int32_t first) {
    std::vector<int32_t> t(static_cast<size_t>(n));
    std::iota(t.begin(), t.end(), first);
    return t;
}

// A sequence holding tokens, as the engine would after prefill.
block_table prefilled(block_pool & pool, const std::vector<int32_t> & tokens) {
    block_table t(pool);
    REQUIRE(t.try_reserve(int32_t(tokens.size())));
    return t;
}

uint64_t constant_hash(std::span<const int32_t>, uint64_t) { return 42; }

}  // namespace

TEST_CASE("lookup returns the longest run of cached full pages, retained for the caller") {
    block_pool pool(k_layout, 16);
    {
        prefix_index index(pool);
        std::vector<int32_t> prompt = iota_tokens(14, 100);   // 3 full pages + 2 tokens
        block_table seq = prefilled(pool, prompt);
        index.insert(seq, prompt);
        CHECK(index.n_cached() == 3);   // the partial page is not indexed
        CHECK(pool.refcount(seq.blocks()[0]) == 2);
        CHECK(pool.refcount(seq.blocks()[3]) == 1);

        prefix_match full = index.lookup(prompt);
        CHECK(full.n_tokens == 12);
        CHECK(full.blocks == std::vector<block_id>(seq.blocks().begin(), seq.blocks().begin() + 3));
        CHECK(pool.refcount(seq.blocks()[0]) == 3);
        for (block_id b : full.blocks) pool.release(b);

        // Same first 2 pages, third page differs: 8 tokens.
        std::vector<int32_t> other = prompt;
        other[9] = 7;
        prefix_match part = index.lookup(other);
        CHECK(part.n_tokens == 8);
        for (block_id b : part.blocks) pool.release(b);

        // Same page contents at a different position do not match (the chain names the prefix).
        std::vector<int32_t> shifted(prompt.begin() + 4, prompt.end());
        CHECK(index.lookup(shifted).n_tokens == 0);
        CHECK(index.lookup(iota_tokens(3, 100)).n_tokens == 0);   // shorter than a page

        // Cached pages outlive the sequence.
        seq.release_all();
        CHECK(pool.n_blocks_used() == 3);
        prefix_match again = index.lookup(prompt);
        CHECK(again.n_tokens == 12);
        for (block_id b : again.blocks) pool.release(b);
    }
    CHECK(pool.n_blocks_free() == 16);   // the index released its pages
}

TEST_CASE("collisions are verified, never served") {
    block_pool pool(k_layout, 16);
    prefix_index index(pool, &constant_hash);   // every page hashes to 42
    std::vector<int32_t> a = iota_tokens(8, 0);
    std::vector<int32_t> b = iota_tokens(8, 50);
    block_table sa = prefilled(pool, a);
    block_table sb = prefilled(pool, b);
    index.insert(sa, a);
    CHECK(index.n_cached() == 1);   // page 1 collides with page 0's key: chain stops
    index.insert(sb, b);            // collides with a's entry: not registered
    CHECK(index.n_cached() == 1);
    CHECK(index.lookup(b).n_tokens == 0);
    prefix_match m = index.lookup(a);
    CHECK(m.n_tokens == 4);
    CHECK(m.blocks.at(0) == sa.blocks()[0]);
    for (block_id x : m.blocks) pool.release(x);
    index.clear();
    sa.release_all();
    sb.release_all();
    CHECK(pool.n_blocks_free() == 16);
}

TEST_CASE("a re-inserted identical prefix keeps the first copy") {
    block_pool pool(k_layout, 16);
    prefix_index index(pool);
    std::vector<int32_t> p = iota_tokens(8, 0);
    block_table s1 = prefilled(pool, p);
    block_table s2 = prefilled(pool, p);
    index.insert(s1, p);
    index.insert(s2, p);
    CHECK(index.n_cached() == 2);
    CHECK(pool.refcount(s2.blocks()[0]) == 1);
    index.insert(s1, std::vector<int32_t>(p.begin(), p.begin() + 6));   // only full pages count
    CHECK(index.n_cached() == 2);
    s1.release_all();
    s2.release_all();
    index.clear();
    CHECK(pool.n_blocks_free() == 16);
}

TEST_CASE("allocation evicts unreferenced cached pages in LRU order, never pages in use") {
    block_pool pool(k_layout, 4);
    prefix_index index(pool);
    std::vector<int32_t> old_p = iota_tokens(8, 0);
    std::vector<int32_t> new_p = iota_tokens(4, 500);
    {
        block_table s = prefilled(pool, old_p);
        index.insert(s, old_p);
    }
    block_table live = prefilled(pool, new_p);
    index.insert(live, new_p);   // most recent, and still used by `live`
    CHECK(pool.n_blocks_free() == 1);
    CHECK(index.n_evictable() == 2);
    CHECK(pool.n_blocks_available() == 3);

    block_table grow(pool);
    REQUIRE(grow.try_reserve(8));   // 1 free + 1 evicted: the tail of old_p's chain goes first
    CHECK(index.n_cached() == 2);
    prefix_match m_old = index.lookup(old_p);
    CHECK(m_old.n_tokens == 4);
    for (block_id b : m_old.blocks) pool.release(b);

    REQUIRE(grow.try_reserve(4));   // evicts old_p's first page
    CHECK(index.n_cached() == 1);
    CHECK_FALSE(grow.try_reserve(4));   // only `live`'s page is cached, and it is in use
    CHECK(index.n_cached() == 1);
    prefix_match m = index.lookup(new_p);
    CHECK(m.n_tokens == 4);
    pool.release(m.blocks[0]);
    grow.release_all();
    live.release_all();
    index.clear();
    CHECK(pool.n_blocks_free() == 4);
}
