// matmul_kernels: the per-ISA pieces that matmul.cpp stitches together (internal header).
//
// A kernel is (a) an activation quantiser, run once per token row per matmul call, writing
// that level's own int8 block format, and (b) a row-range function computing y[:, r0:r1).
// Float weight types have no quantiser and read x directly. Every kernel computes each
// (token, output row) value with a fixed sequence of operations, whatever tile it falls in.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/cpu/ops.h"

namespace tts::kernels::cpu {

struct mm_problem {
    const weight_view * w = nullptr;
    const float * x = nullptr;     // [n_tok, n_in] f32 activations
    const uint8_t * xq = nullptr;  // [n_tok, xq_stride] activations in the kernel's format
    size_t xq_stride = 0;          // bytes per quantised row
    int64_t n_tok = 0;
    float * y = nullptr;           // [n_tok, n_out]
};

struct mm_kernel {
    size_t (*xq_row_bytes)(int64_t n_in) = nullptr;                      // null: float kernel
    void (*quantize)(const float * x, int64_t n_in, uint8_t * out) = nullptr;   // x[n_in] -> out
    void (*rows)(const mm_problem & p, int64_t r0, int64_t r1) = nullptr;       // null: no kernel
};

// The kernel for weights of type t at each level; rows == nullptr when the level lacks one.
mm_kernel mm_kernel_scalar(dtype t);
mm_kernel mm_kernel_avx2(dtype t);
mm_kernel mm_kernel_avx512(dtype t);

}  // namespace tts::kernels::cpu
