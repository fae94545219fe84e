#include "runtime/kv/kv_cache.h"

#include <unordered_set>

#include "runtime/base/check.h"

namespace tts::kv {

kv_cache::kv_cache(const kv_layout & layout, int32_t n_blocks, kv_storage & storage)
    : pool_(layout, n_blocks, storage), index_(pool_) {}

const block_table & kv_cache::table(seq_id id) const {
    auto it = tables_.find(id);
    TTS_CHECK(it != tables_.end(), "unknown sequence %lld", (long long)id);
    return it->second;
}

block_table & kv_cache::table_mut(seq_id id) {
    auto it = tables_.find(id);
    TTS_CHECK(it != tables_.end(), "unknown sequence %lld", (long long)id);
    return it->second;
}

void kv_cache::add_sequence(seq_id id) {
    auto [it, inserted] = tables_.try_emplace(id, pool_);
    TTS_CHECK(inserted, "sequence %lld already exists", (long long)id);
}

bool kv_cache::try_reserve(seq_id id, int32_t n_tokens) { return table_mut(id).try_reserve(n_tokens); }

void kv_cache::fork(seq_id src, seq_id dst) {
    TTS_CHECK(!has_sequence(dst), "fork target %lld already exists", (long long)dst);
    block_table child = table(src).fork();
    tables_.emplace(dst, std::move(child));
}

void kv_cache::free(seq_id id) {
    auto it = tables_.find(id);
    TTS_CHECK(it != tables_.end(), "free of unknown sequence %lld", (long long)id);
    tables_.erase(it);   // the table's destructor releases its pages
}

int32_t kv_cache::match_prefix(seq_id id, std::span<const int32_t> tokens) {
    block_table & t = table_mut(id);
    TTS_CHECK(t.n_tokens() == 0, "match_prefix on non-empty sequence %lld", (long long)id);
    if (tokens.empty()) return 0;
    prefix_match m = index_.lookup(tokens.first(tokens.size() - 1));
    if (m.n_tokens > 0) t.adopt(m.blocks, m.n_tokens);
    return m.n_tokens;
}

void kv_cache::commit_prefix(seq_id id, std::span<const int32_t> tokens) {
    const block_table & t = table(id);
    TTS_CHECK(int64_t(tokens.size()) <= t.n_tokens(), "commit_prefix of %zu tokens, sequence %lld holds %d",
              tokens.size(), (long long)id, t.n_tokens());
    index_.insert(t, tokens);
}

const kv_view & kv_cache::view(std::span<const seq_id> seqs) {
    page_indptr_.assign(1, 0);
    page_indices_.clear();
    seq_len_.clear();
    for (seq_id s : seqs) {
        const block_table & t = table(s);
        page_indices_.insert(page_indices_.end(), t.blocks().begin(), t.blocks().end());
        page_indptr_.push_back(int32_t(page_indices_.size()));
        seq_len_.push_back(t.n_tokens());
    }
    const kv_layout & l = pool_.layout();
    view_ = kv_view{};
    view_.n_layers = l.n_layers;
    view_.n_kv_heads = l.n_kv_heads;
    view_.head_dim = l.head_dim;
    view_.block_size = l.block_size;
    view_.n_blocks = pool_.n_blocks_total();
    view_.k = pool_.k_data();
    view_.v = pool_.v_data();
    view_.n_seqs = int32_t(seqs.size());
    view_.page_indptr = page_indptr_.data();
    view_.page_indices = page_indices_.data();
    view_.seq_len = seq_len_.data();
    return view_;
}

size_t kv_cache::bytes_unshared(std::span<const seq_id> seqs) const {
    int64_t n = 0;
    for (seq_id s : seqs) n += table(s).n_blocks();
    return pool_.layout().bytes_for_blocks(n);
}

size_t kv_cache::bytes_shared(std::span<const seq_id> seqs) const {
    std::unordered_set<block_id> distinct;
    for (seq_id s : seqs) distinct.insert(table(s).blocks().begin(), table(s).blocks().end());
    return pool_.layout().bytes_for_blocks(int64_t(distinct.size()));
}

}  // namespace tts::kv
