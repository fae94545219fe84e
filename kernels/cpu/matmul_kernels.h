// matmul_kernels: the per-ISA pieces that matmul.cpp stitches together (internal header).
//
// A kernel is (a) an activation quantiser, run once per token row per matmul call, writing
// the int8 row format of matmul_format.h, and (b) a row-range function computing
// y[:, r0:r1). Float weight types have no quantiser and read x directly. Every kernel computes
// each (token, output row) value with a fixed sequence of operations, whatever tile it falls
// in; for quantised types that sequence is matmul_format.h's, the same at every level.
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

using mm_rows_fn = void (*)(const mm_problem & p, int64_t r0, int64_t r1);

// The AVX2 quantised row functions (matmul_avx2_q.cpp); nullptr for other types.
mm_rows_fn mm_rows_avx2_quant(dtype t);

// The kernel for weights of type t at each level; rows == nullptr when the level lacks one.
mm_kernel mm_kernel_scalar(dtype t);
mm_kernel mm_kernel_avx2(dtype t);
mm_kernel mm_kernel_avx512(dtype t);

}  // namespace tts::kernels::cpu
