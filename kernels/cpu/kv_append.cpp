// kv_append: writes this step's K/V rows (f32 -> f16, round to nearest even) into their page slots.
#include "kernels/cpu/fp16.h"
#include "kernels/cpu/ops.h"
#include "runtime/base/check.h"

namespace tts::kernels::cpu {

void kv_append(const kv::kv_view & kv, int32_t layer, const float * k, const float * v, const int32_t * tok_seq,
               const int32_t * tok_pos, int64_t n_tok) {
    TTS_CHECK(layer >= 0 && layer < kv.n_layers, "kv_append: layer %d of %d", layer, kv.n_layers);
    const int64_t row = int64_t(kv.n_kv_heads) * kv.head_dim;
    for (int64_t t = 0; t < n_tok; ++t) {
        const int32_t s = tok_seq[t], p = tok_pos[t];
        TTS_CHECK(s >= 0 && s < kv.n_seqs, "kv_append: sequence %d of %d", s, kv.n_seqs);
        TTS_CHECK(p >= 0 && p / kv.block_size < kv.page_indptr[s + 1] - kv.page_indptr[s],
                  "kv_append: position %d beyond the pages of sequence %d", p, s);
        const int32_t page = kv.page_of(s, p);
        for (int32_t h = 0; h < kv.n_kv_heads; ++h) {
            const size_t off = kv.offset(layer, page, h, p % kv.block_size);
            const float * ks = k + t * row + int64_t(h) * kv.head_dim;
            const float * vs = v + t * row + int64_t(h) * kv.head_dim;
            for (int32_t i = 0; i < kv.head_dim; ++i) {
                kv.k[off + i] = f32_to_f16(ks[i]);
                kv.v[off + i] = f32_to_f16(vs[i]);
            }
        }
    }
}

}  // namespace tts::kernels::cpu
