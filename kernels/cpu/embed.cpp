// embed_rows: token embedding lookup = dequantise the selected weight rows.
#include "kernels/cpu/dequant.h"
#include "kernels/cpu/ops.h"
#include "runtime/base/check.h"

namespace tts::kernels::cpu {

void embed_rows(const weight_view & w, const int32_t * ids, int64_t n, float * out) {
    const size_t rb = row_bytes(uint32_t(w.type), w.n_in);
    TTS_CHECK(w.data && rb > 0, "embed_rows: bad weight (%s, n_in %lld)", dtype_name(uint32_t(w.type)),
              (long long)w.n_in);
    for (int64_t i = 0; i < n; ++i) {
        TTS_CHECK(ids[i] >= 0 && ids[i] < w.n_out, "embed_rows: token id %d outside [0, %lld)", ids[i],
                  (long long)w.n_out);
        dequantize_row(w.type, static_cast<const uint8_t *>(w.data) + size_t(ids[i]) * rb, out + i * w.n_in, w.n_in);
    }
}

}  // namespace tts::kernels::cpu
