#include "runtime/kv/block_table.h"

#include <utility>

#include "runtime/base/check.h"

namespace tts::kv {

block_table::block_table(block_table && other) noexcept
    : pool_(other.pool_), blocks_(std::move(other.blocks_)), n_tokens_(other.n_tokens_) {
    other.blocks_.clear();
    other.n_tokens_ = 0;
}

block_table & block_table::operator=(block_table && other) noexcept {
    if (this != &other) {
        release_all();
        pool_ = other.pool_;
        blocks_ = std::move(other.blocks_);
        n_tokens_ = other.n_tokens_;
        other.blocks_.clear();
        other.n_tokens_ = 0;
    }
    return *this;
}

block_table block_table::fork() const {
    block_table child(*pool_);
    for (block_id id : blocks_) pool_->retain(id);
    child.blocks_ = blocks_;
    child.n_tokens_ = n_tokens_;
    return child;
}

int32_t block_table::n_blocks_to_copy() const {
    const int32_t bs = pool_->layout().block_size;
    if (blocks_.empty() || n_tokens_ % bs == 0) return 0;
    return pool_->refcount(blocks_.back()) > 1 ? 1 : 0;
}

bool block_table::try_reserve(int32_t n_new) {
    TTS_CHECK(n_new >= 0, "try_reserve(%d)", n_new);
    if (n_new == 0) return true;
    const int64_t n_total = int64_t(n_tokens_) + n_new;
    TTS_CHECK(n_total <= INT32_MAX, "sequence length overflows int32");
    const int32_t n_grow = int32_t(pool_->layout().blocks_for_tokens(n_total)) - n_blocks();
    const int32_t n_copy = n_blocks_to_copy();
    const int32_t n_want = n_grow + n_copy;
    // Check first so that a doomed reservation does not evict cached pages for nothing.
    if (n_want > pool_->n_blocks_free() && n_want > pool_->n_blocks_available()) return false;

    std::vector<block_id> fresh;
    fresh.reserve(size_t(n_want));
    for (int32_t i = 0; i < n_want; ++i) {
        std::optional<block_id> id = pool_->try_allocate();
        if (!id) {
            for (block_id f : fresh) pool_->release(f);
            return false;
        }
        fresh.push_back(*id);
    }
    if (n_copy == 1) {
        const block_id shared = blocks_.back();
        const block_id mine = fresh.front();
        fresh.erase(fresh.begin());
        pool_->copy_block(shared, mine, n_tokens_ % pool_->layout().block_size);
        pool_->release(shared);
        blocks_.back() = mine;
    }
    blocks_.insert(blocks_.end(), fresh.begin(), fresh.end());
    n_tokens_ = int32_t(n_total);
    return true;
}

void block_table::adopt(std::span<const block_id> blocks, int32_t n_tokens) {
    TTS_CHECK(empty(), "adopt() into a non-empty table");
    TTS_CHECK(int64_t(blocks.size()) == pool_->layout().blocks_for_tokens(n_tokens),
              "adopt(): %zu pages for %d tokens", blocks.size(), n_tokens);
    blocks_.assign(blocks.begin(), blocks.end());
    n_tokens_ = n_tokens;
}

void block_table::release_all() {
    for (block_id id : blocks_) pool_->release(id);
    blocks_.clear();
    n_tokens_ = 0;
}

}  // namespace tts::kv
