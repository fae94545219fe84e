// paged_attention: causal GQA decode/prefill attention over each token's own pages.
//
// Work items are (token, kv head) pairs: the n_heads / n_kv_heads query heads of a group share
// every widened K/V row. Items are dealt round-robin to threads; each item's arithmetic is the
// same whoever runs it, so results are batch and thread-count invariant.
#include <vector>

#include "kernels/cpu/attention_partial.h"
#include "kernels/cpu/ops.h"
#include "runtime/base/check.h"

namespace tts::kernels::cpu {

void paged_attention(thread_pool & pool, const float * q, const kv::kv_view & kv, int32_t layer, int64_t n_heads,
                     const int32_t * tok_seq, const int32_t * tok_pos, int64_t n_tok, float scale, float * out) {
    TTS_CHECK(kv.n_kv_heads > 0 && n_heads % kv.n_kv_heads == 0, "paged_attention: %lld heads over %d kv heads",
              (long long)n_heads, kv.n_kv_heads);
    TTS_CHECK(layer >= 0 && layer < kv.n_layers, "paged_attention: layer %d of %d", layer, kv.n_layers);
    for (int64_t t = 0; t < n_tok; ++t) {
        const int32_t s = tok_seq[t];
        TTS_CHECK(s >= 0 && s < kv.n_seqs, "paged_attention: sequence %d of %d", s, kv.n_seqs);
        TTS_CHECK(tok_pos[t] >= 0 && tok_pos[t] < kv.seq_len[s] &&
                      tok_pos[t] / kv.block_size < kv.page_indptr[s + 1] - kv.page_indptr[s],
                  "paged_attention: position %d outside sequence %d (len %d)", tok_pos[t], s, kv.seq_len[s]);
    }
    const int32_t group = int32_t(n_heads / kv.n_kv_heads), d = kv.head_dim;
    const int64_t n_items = n_tok * kv.n_kv_heads;
    const vec_ops & ops = vec_ops_for(simd_level_active());
    pool.run([&](int ith, int nth) {
        std::vector<float> buf(size_t(group) * (2 + d) + size_t(kv.block_size) * (d + group));
        attn_partial st{group, d, buf.data(), buf.data() + group, buf.data() + 2 * group};
        float * scratch = buf.data() + size_t(group) * (2 + d);
        for (int64_t item = ith; item < n_items; item += nth) {
            const int64_t t = item / kv.n_kv_heads;
            const int32_t kvh = int32_t(item % kv.n_kv_heads);
            const int64_t head0 = int64_t(kvh) * group;
            const float * qg = q + (t * n_heads + head0) * d;   // [group, head_dim]
            reset(st);
            attend_pages(ops, qg, kv, layer, kvh, kv.page_indices + kv.page_indptr[tok_seq[t]], tok_pos[t] + 1,
                         scale, st, scratch);
            finish(st, out + (t * n_heads + head0) * d);
        }
    });
}

}  // namespace tts::kernels::cpu
