#include "runtime/kv/prefix_index.h"

#include <algorithm>

#include <xxhash.h>

#include "runtime/base/check.h"

namespace tts::kv {

uint64_t xxh3_page_hash(std::span<const int32_t> page_tokens, uint64_t seed) {
    return XXH3_64bits_withSeed(page_tokens.data(), page_tokens.size_bytes(), seed);
}

prefix_index::prefix_index(block_pool & pool, page_hash_fn hash) : pool_(&pool), hash_(hash) {
    pool_->set_evictor(this);
}

prefix_index::~prefix_index() {
    clear();
    pool_->set_evictor(nullptr);
}

const prefix_index::entry * prefix_index::find_verified(uint64_t hash, uint64_t parent,
                                                        std::span<const int32_t> page) const {
    auto it = entries_.find(hash);
    if (it == entries_.end()) return nullptr;
    const entry & e = it->second;
    if (e.parent_hash != parent || !std::ranges::equal(e.tokens, page)) return nullptr;
    return &e;
}

// Moves the chain to the most-recent end, tail first, so its first page is the most recent.
void prefix_index::touch(std::span<const uint64_t> chain) {
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
        auto & e = entries_.at(*it);
        lru_.splice(lru_.end(), lru_, e.lru_pos);
    }
}

void prefix_index::insert(const block_table & table, std::span<const int32_t> tokens) {
    const size_t bs = size_t(pool_->layout().block_size);
    const size_t n_full = std::min(tokens.size(), size_t(table.n_tokens())) / bs;
    std::vector<uint64_t> chain;
    uint64_t parent = k_chain_seed;
    for (size_t i = 0; i < n_full; ++i) {
        std::span<const int32_t> page = tokens.subspan(i * bs, bs);
        uint64_t h = hash_(page, parent);
        auto it = entries_.find(h);
        if (it == entries_.end()) {
            block_id id = table.blocks()[i];
            pool_->retain(id);
            lru_.push_back(h);
            entries_.emplace(h, entry{id, parent, {page.begin(), page.end()}, std::prev(lru_.end())});
        } else if (find_verified(h, parent, page) == nullptr) {
            break;   // collision: keep the cached entry, index no further down this chain
        }
        chain.push_back(h);
        parent = h;
    }
    touch(chain);
}

prefix_match prefix_index::lookup(std::span<const int32_t> tokens) {
    const size_t bs = size_t(pool_->layout().block_size);
    prefix_match m;
    std::vector<uint64_t> chain;
    uint64_t parent = k_chain_seed;
    for (size_t i = 0; i + bs <= tokens.size(); i += bs) {
        std::span<const int32_t> page = tokens.subspan(i, bs);
        uint64_t h = hash_(page, parent);
        const entry * e = find_verified(h, parent, page);
        if (e == nullptr) break;
        pool_->retain(e->block);
        m.blocks.push_back(e->block);
        chain.push_back(h);
        parent = h;
    }
    m.n_tokens = int32_t(m.blocks.size() * bs);
    touch(chain);
    return m;
}

void prefix_index::clear() {
    for (auto & [h, e] : entries_) pool_->release(e.block);
    entries_.clear();
    lru_.clear();
}

int32_t prefix_index::n_evictable() const {
    int32_t n = 0;
    for (const auto & [h, e] : entries_) n += pool_->refcount(e.block) == 1 ? 1 : 0;
    return n;
}

int32_t prefix_index::evict_lru(int32_t n) {
    int32_t n_evicted = 0;
    for (auto it = lru_.begin(); it != lru_.end() && n_evicted < n;) {
        auto e = entries_.find(*it);
        if (pool_->refcount(e->second.block) != 1) {
            ++it;   // a sequence still uses it: not ours to give back
            continue;
        }
        pool_->release(e->second.block);
        entries_.erase(e);
        it = lru_.erase(it);
        ++n_evicted;
    }
    return n_evicted;
}

}  // namespace tts::kv
