// device_weight: a weight matrix resident in device memory, in its file type (quantised types
// stay quantised): n_out rows of n_in values, row r at data + r * row_bytes(type, n_in).
//
// The CUDA kernels need n_in % 32 == 0 (rows are read in 32-value chunks, see
// math/quant_chunk.h); loaders check it. Plain value type; the owner of the memory is elsewhere.
#pragma once

#include <cstdint>

#include "kernels/dtype.h"

namespace tts::kernels::cuda {

struct device_weight {
    const void * data = nullptr;   // device pointer, [n_out, row_bytes(type, n_in)] bytes
    dtype type = dtype::f32;
    int64_t n_out = 0;
    int64_t n_in = 0;
};

// True for the types the CUDA kernels are instantiated for (every kernels::weight_dtype()).
bool is_supported(dtype t);

}  // namespace tts::kernels::cuda
