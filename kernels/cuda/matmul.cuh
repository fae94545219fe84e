// matmul: y[n_tok, n_out] = x[n_tok, n_in] * W^T for a device weight of any shipped type.
//
// matmul (the default, decode and prefill): a warp per output row, a tile of
// k_matmul_tok_tile tokens per block row. Lane l dequantises chunks l, l + 32, ... of the row
// once (math::dequant_chunk) and dots each with every token of the tile (math::dot_chunk);
// warp_sum adds the lanes. Each (token, row) value is computed by the same operations in the
// same order whatever else is in the batch: bit-exact batch invariance, as on the CPU. Weights
// are re-read once per tile of tokens, so long prefills cost n_tok / 8 passes over the weights.
//
// matmul_cublas (opt-in, TTS_CUDA_GEMM=cublas, for prefill-sized steps): dequantises row tiles
// of W to f32 in `scratch` and multiplies with cublasSgemm (FP32, no TF32). Faster for long
// prompts, but cuBLAS picks its kernel by shape, so a token's bits may depend on how many
// tokens share the step: not batch invariant.
//
// Both are asynchronous on stream s (cuBLAS through the context, bound to the same stream).
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

#include "kernels/cuda/cublas_context.h"
#include "kernels/cuda/device_weight.h"

namespace tts::kernels::cuda {

constexpr int k_matmul_rows_per_block = 4;   // warps per block, one output row each
constexpr int k_matmul_tok_tile = 8;         // tokens per block

// x: device [n_tok, w.n_in]; y: device [n_tok, w.n_out]. REQUIRES w.n_in % 32 == 0.
void matmul(const device_weight & w, const float * x, int64_t n_tok, float * y, cudaStream_t s);

// Same product through cuBLAS. scratch: device, >= matmul_cublas_scratch(w) floats.
void matmul_cublas(cublas_context & cb, const device_weight & w, const float * x, int64_t n_tok, float * y,
                   float * scratch, size_t scratch_elems);
// Floats of scratch matmul_cublas uses for w: whole-row tiles of at most k_gemm_tile_elems.
constexpr size_t k_gemm_tile_elems = size_t(8) << 20;   // 32 MiB of f32
size_t matmul_cublas_scratch(const device_weight & w);

}  // namespace tts::kernels::cuda
