// prefix_index: finds pages already holding the K/V of a token prefix, across requests.
//
// Only FULL pages are indexed. Page i of a token sequence is keyed by a hash chain (nano-vllm):
//   h_i = XXH3_64bits(tokens of page i, seed = h_{i-1}),  h_{-1} = k_chain_seed,
// so a key names the whole prefix up to and including page i. Each entry stores the page's
// token ids and its parent hash; a lookup accepts an entry only if both match, so a 64-bit
// collision is detected rather than served (a wrong match would need a collision on the
// parent chain as well).
//
// Ownership: the index holds one pool reference on every cached page, so a cached page stays
// resident after the last sequence using it is freed. It is the pool's block_evictor: when
// the free list is empty, try_allocate() calls evict_lru(), which releases cached pages held
// by the index alone, least recently used first (a lookup or insert touches a chain's pages
// tail first, so within a chain later pages are evicted before earlier ones). The constructor
// registers with the pool, the destructor unregisters and releases every cached page.
//
// Not thread-safe: engine thread only. The pool must outlive the index.
#pragma once

#include <cstdint>
#include <list>
#include <span>
#include <unordered_map>
#include <vector>

#include "runtime/kv/block_pool.h"
#include "runtime/kv/block_table.h"

namespace tts::kv {

// The hash of one page's tokens given the previous page's hash. Replaceable for tests.
using page_hash_fn = uint64_t (*)(std::span<const int32_t> page_tokens, uint64_t seed);
uint64_t xxh3_page_hash(std::span<const int32_t> page_tokens, uint64_t seed);

// Pages of a cached prefix, each retained once for the caller (hand them to block_table::adopt).
struct prefix_match {
    std::vector<block_id> blocks;   // [n_tokens / block_size] logical order
    int32_t n_tokens = 0;           // blocks.size() * block_size
};

class prefix_index final : public block_evictor {
public:
    static constexpr uint64_t k_chain_seed = 0x7474'7363'616c'6521ull;   // "ttscale!"

    explicit prefix_index(block_pool & pool, page_hash_fn hash = &xxh3_page_hash);
    ~prefix_index();
    prefix_index(const prefix_index &) = delete;
    prefix_index & operator=(const prefix_index &) = delete;

    // Registers the full pages of table that hold tokens (the first min(tokens, n_tokens)
    // positions). Pages whose chain key is already cached are skipped; registration stops at a
    // key that is cached with other content (a collision). REQUIRES: the K/V of those
    // positions are written, and tokens are the ids at positions 0.. of the table.
    void insert(const block_table & table, std::span<const int32_t> tokens);

    // The longest run of cached full pages that prefixes tokens; each page is retained once
    // for the caller. An empty match when nothing is cached.
    prefix_match lookup(std::span<const int32_t> tokens);

    // Releases every cached page (pages still used by sequences stay allocated to them).
    void clear();

    int32_t n_cached() const { return int32_t(entries_.size()); }
    int32_t n_evictable() const override;
    int32_t evict_lru(int32_t n) override;

private:
    struct entry {
        block_id block;
        uint64_t parent_hash;
        std::vector<int32_t> tokens;            // [block_size] for verification
        std::list<uint64_t>::iterator lru_pos;  // position in lru_
    };
    const entry * find_verified(uint64_t hash, uint64_t parent, std::span<const int32_t> page) const;
    void touch(std::span<const uint64_t> chain);

    block_pool * pool_;
    page_hash_fn hash_;
    std::unordered_map<uint64_t, entry> entries_;   // chain hash -> cached page
    std::list<uint64_t> lru_;                       // chain hashes, least recently used first
};

}  // namespace tts::kv
