// dtype: tensor element types, numbered as ggml/GGUF number them, and their block geometry.
//
// Quantised types store rows as consecutive blocks of block_elems() values in block_bytes()
// bytes (layouts as in GGUF: Q4_0 = f16 d + 16 nibble bytes, Q4_1 = f16 d, f16 m + 16 bytes,
// Q8_0 = f16 d + 32 int8, K-quants in super-blocks of 256). Pure functions, no state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

namespace tts::kernels {

enum class dtype : uint32_t {
    f32 = 0, f16 = 1, q4_0 = 2, q4_1 = 3, q5_0 = 6, q5_1 = 7, q8_0 = 8, q8_1 = 9,
    q2_k = 10, q3_k = 11, q4_k = 12, q5_k = 13, q6_k = 14, q8_k = 15, bf16 = 30,
};

// Name as llama.cpp prints it ("Q4_1"), or "type#<id>" for an unknown id.
const char * dtype_name(uint32_t id);
// The id as a dtype when this runtime can load weights of that type.
std::optional<dtype> weight_dtype(uint32_t id);
// Values per block (1 for f32/f16/bf16) and bytes per block; 0 for unknown ids.
int64_t block_elems(uint32_t id);
size_t block_bytes(uint32_t id);
// Bytes of one row of n values; REQUIRES n % block_elems == 0 (else returns 0).
size_t row_bytes(uint32_t id, int64_t n);

}  // namespace tts::kernels
