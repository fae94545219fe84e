// block_table: one sequence's logical-to-physical page list and its token count.
//
// Position p of the sequence lives in page blocks()[p / block_size], slot p % block_size. The
// table holds one pool reference on each of its pages and gives them back in release_all() or
// its destructor (move-only, so a reference is never dropped twice). Pages may be shared with
// other tables (after fork()) and with the prefix_index.
//
// Sharing rules (ARCHITECTURE invariant 2, "a fork is metadata"): fork() shares every page by
// refcount and copies no K/V. The only copy ever made is copy-on-write of a shared, partially
// filled last page, done by try_reserve() just before this sequence writes into it. Full pages
// are never written again, so they are never copied.
//
// Not thread-safe: engine thread only. The pool must outlive the table.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "runtime/kv/block_pool.h"

namespace tts::kv {

class block_table {
public:
    explicit block_table(block_pool & pool) : pool_(&pool) {}
    ~block_table() { release_all(); }
    block_table(block_table && other) noexcept;
    block_table & operator=(block_table && other) noexcept;
    block_table(const block_table &) = delete;
    block_table & operator=(const block_table &) = delete;

    // A new table with the same pages and token count; every page gains one reference.
    // Never allocates and never fails.
    block_table fork() const;

    // Claims positions [n_tokens(), n_tokens() + n_new) for this step: allocates the pages the
    // new positions cross into and, if the current last page is partial and shared, replaces
    // it by a private copy (copy-on-write). On success n_tokens() grows by n_new. Returns false
    // when the pool (free list plus evictable cache) cannot supply the pages; the table and the
    // pool are then exactly as before. REQUIRES: n_new >= 0.
    bool try_reserve(int32_t n_new);

    // Takes over pages whose references the caller already holds (from prefix_index::lookup),
    // as the first n_tokens positions. REQUIRES: empty(); blocks.size() == ceil(n_tokens / block_size).
    void adopt(std::span<const block_id> blocks, int32_t n_tokens);

    // Drops every reference; pages nobody else holds return to the free list now.
    void release_all();

    bool empty() const { return blocks_.empty(); }
    int32_t n_tokens() const { return n_tokens_; }
    int32_t n_blocks() const { return int32_t(blocks_.size()); }
    const std::vector<block_id> & blocks() const { return blocks_; }   // [n_blocks] logical order
    // Pages that would be copied if this sequence wrote now: 1 if the last page is partial and shared.
    int32_t n_blocks_to_copy() const;

private:
    block_pool * pool_;
    std::vector<block_id> blocks_;   // [ceil(n_tokens / block_size)]
    int32_t n_tokens_ = 0;
};

}  // namespace tts::kv
