// kv_cache: the facade the engine uses for all KV bookkeeping of all sequences.
//
// Owns the block_pool, the prefix_index and one block_table per live sequence (seq_id ->
// table). Each step the engine reserves room for the tokens it is about to compute
// (try_reserve), then asks for a kv_view over the batch's sequences; the view points at
// vectors this object owns. Forks share pages (no K/V copied); free() returns a sequence's
// private pages to the pool in the same call (ARCHITECTURE invariant 3). Prefix reuse across
// requests: match_prefix() before prefill, commit_prefix() after the prompt's K/V are written.
//
// Not thread-safe: only the engine thread may call it. Not copyable or movable (tables and
// the index point at the pool).
#pragma once

#include <cstdint>
#include <span>
#include <unordered_map>
#include <vector>

#include "runtime/kv/block_pool.h"
#include "runtime/kv/block_table.h"
#include "runtime/kv/kv_view.h"
#include "runtime/kv/prefix_index.h"

namespace tts::kv {

using seq_id = int64_t;

class kv_cache {
public:
    // REQUIRES: layout.is_valid(), n_blocks >= 0. For a byte budget pass layout.blocks_in_bytes(bytes).
    // The pages live in storage (host memory unless the decoder's backend supplies its own).
    kv_cache(const kv_layout & layout, int32_t n_blocks, kv_storage & storage = host_kv_storage());
    kv_cache(const kv_cache &) = delete;
    kv_cache & operator=(const kv_cache &) = delete;

    // Starts an empty sequence. REQUIRES: !has_sequence(id).
    void add_sequence(seq_id id);
    bool has_sequence(seq_id id) const { return tables_.contains(id); }
    // Claims room for n_tokens more positions of id (see block_table::try_reserve); false,
    // with nothing changed, when the pool is out. REQUIRES: has_sequence(id), n_tokens >= 0.
    bool try_reserve(seq_id id, int32_t n_tokens);
    // dst starts as a copy of src sharing all its pages; copies no K/V, never fails.
    // REQUIRES: has_sequence(src), !has_sequence(dst).
    void fork(seq_id src, seq_id dst);
    // Forgets id and drops its references; pages nobody else holds are free on return.
    // REQUIRES: has_sequence(id).
    void free(seq_id id);

    // Starts empty sequence id on the longest cached run of full pages prefixing tokens, leaving
    // at least one token to compute (the logits need it). Returns the tokens reused (a multiple
    // of block_size, possibly 0); the caller prefills tokens from there.
    // REQUIRES: has_sequence(id), n_tokens(id) == 0.
    int32_t match_prefix(seq_id id, std::span<const int32_t> tokens);
    // Makes the full pages of id holding tokens findable by later match_prefix calls.
    // REQUIRES: has_sequence(id), tokens.size() <= n_tokens(id), those K/V written.
    void commit_prefix(seq_id id, std::span<const int32_t> tokens);
    // Drops every cached page that no sequence uses.
    void clear_prefix_cache() { index_.clear(); }

    // The CSR view over seqs for one step, seq_len = n_tokens(seq) (including this step's
    // reservation). Valid until the next view() or any call that changes a table.
    // REQUIRES: has_sequence(s) for every s in seqs.
    const kv_view & view(std::span<const seq_id> seqs);

    int32_t n_tokens(seq_id id) const { return table(id).n_tokens(); }
    const block_table & table(seq_id id) const;
    block_pool & pool() { return pool_; }

    int32_t n_sequences() const { return int32_t(tables_.size()); }
    int32_t n_blocks_total() const { return pool_.n_blocks_total(); }
    int32_t n_blocks_free() const { return pool_.n_blocks_free(); }
    int32_t n_blocks_used() const { return pool_.n_blocks_used(); }
    int32_t n_blocks_cached() const { return index_.n_cached(); }
    // Free pages plus cached pages no sequence uses (what allocation can still get).
    int32_t n_blocks_available() const { return pool_.n_blocks_available(); }
    size_t bytes_used() const { return pool_.bytes_used(); }
    size_t bytes_used_peak() const { return pool_.bytes_used_peak(); }
    // Bytes seqs would take if none of their pages were shared (sum of their pages).
    size_t bytes_unshared(std::span<const seq_id> seqs) const;
    // Bytes of the distinct pages seqs hold together (what they actually take).
    size_t bytes_shared(std::span<const seq_id> seqs) const;

private:
    block_table & table_mut(seq_id id);

    block_pool pool_;
    prefix_index index_;                                 // registers itself as pool_'s evictor
    std::unordered_map<seq_id, block_table> tables_;     // destroyed before index_ and pool_
    std::vector<int32_t> page_indptr_;                   // [n_seqs + 1] of the last view
    std::vector<int32_t> page_indices_;                  // [page_indptr_.back()]
    std::vector<int32_t> seq_len_;                       // [n_seqs]
    kv_view view_;
};

}  // namespace tts::kv
