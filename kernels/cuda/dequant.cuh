// dequant: rows of a device weight to f32 — token embedding lookup (ids given) and the
// dequantised row tiles the cuBLAS prefill path multiplies.
//
// One thread per 32-value chunk, math::dequant_chunk doing the arithmetic, so the values are
// bit-identical to kernels/ref's. Asynchronous on stream s.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "kernels/cuda/device_weight.h"

namespace tts::kernels::cuda {

constexpr int k_dequant_threads = 256;

// out[n_rows, w.n_in] = rows ids[0..n_rows) of w, or rows row0 .. row0 + n_rows when ids is
// null. ids: device [n_rows], each in [0, w.n_out) (checked by the caller on the host).
void dequantize_rows(const device_weight & w, const int32_t * ids, int64_t row0, int64_t n_rows, float * out,
                     cudaStream_t s);

}  // namespace tts::kernels::cuda
