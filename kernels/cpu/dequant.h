// dequant: scalar dequantisation of one weight row to f32 (embedding lookups, float paths).
//
// Pure function; any thread. Supports every type weight_dtype() accepts.
#pragma once

#include <cstdint>

#include "kernels/dtype.h"

namespace tts::kernels::cpu {

// out[n] = row of type t. REQUIRES n % block_elems(t) == 0; t a weight_dtype().
void dequantize_row(dtype t, const void * row, float * out, int64_t n);

}  // namespace tts::kernels::cpu
