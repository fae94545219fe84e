// kv_index: the paged-KV address arithmetic of runtime/kv/kv_view.h, callable on the device.
//
// kv_view's own offset() and page_of() are host functions; kernels read the same struct (its
// pointers then device pointers) through these twins. The host test checks that both agree on
// every field of random geometries.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/cuda/math/hd.h"
#include "runtime/kv/kv_view.h"

namespace tts::kernels::cuda::math {

// Element offset of (layer, page, head, slot, 0) in kv.k or kv.v:
// layout [n_layers, n_blocks, n_kv_heads, block_size, head_dim].
TTS_HD size_t kv_offset(const kv::kv_view & kv, int32_t layer, int32_t page, int32_t head, int32_t slot) {
    const size_t block_elems = size_t(kv.n_kv_heads) * size_t(kv.block_size) * size_t(kv.head_dim);
    return (size_t(layer) * size_t(kv.n_blocks) + size_t(page)) * block_elems +
           (size_t(head) * size_t(kv.block_size) + size_t(slot)) * size_t(kv.head_dim);
}

// Physical page holding position pos of sequence seq.
TTS_HD int32_t kv_page_of(const kv::kv_view & kv, int32_t seq, int32_t pos) {
    return kv.page_indices[kv.page_indptr[seq] + pos / kv.block_size];
}

}  // namespace tts::kernels::cuda::math
