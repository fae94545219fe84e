// matmul: the batch-invariant tiled kernel and the cuBLAS path; see matmul.cuh.
#include <algorithm>

#include "kernels/cuda/common.cuh"
#include "kernels/cuda/dequant.cuh"
#include "kernels/cuda/matmul.cuh"
#include "kernels/cuda/math/quant_chunk.h"

namespace tts::kernels::cuda {

namespace {

template <dtype T>
__global__ void __launch_bounds__(32 * k_matmul_rows_per_block)
    matmul_kernel(const uint8_t * __restrict__ w, size_t row_bytes, int64_t n_out, int64_t n_chunks,
                  const float * __restrict__ x, int64_t n_tok, float * __restrict__ y) {
    const int lane = int(threadIdx.x) % 32;
    const int64_t row = int64_t(blockIdx.x) * k_matmul_rows_per_block + threadIdx.x / 32;
    const int64_t t0 = int64_t(blockIdx.y) * k_matmul_tok_tile;
    if (row >= n_out) return;   // whole warp leaves together
    const int n_here = int(min(int64_t(k_matmul_tok_tile), n_tok - t0));
    const int64_t n_in = n_chunks * math::k_chunk;
    const uint8_t * wr = w + row * row_bytes;
    const float * xt = x + t0 * n_in;
    float acc[k_matmul_tok_tile];
    for (int t = 0; t < k_matmul_tok_tile; ++t) acc[t] = 0.0f;
    float wc[math::k_chunk];
    for (int64_t c = lane; c < n_chunks; c += 32) {
        math::dequant_chunk<T>(wr, c, wc);
#pragma unroll
        for (int t = 0; t < k_matmul_tok_tile; ++t) {
            if (t < n_here) acc[t] += math::dot_chunk(wc, xt + t * n_in + c * math::k_chunk);
        }
    }
#pragma unroll
    for (int t = 0; t < k_matmul_tok_tile; ++t) {
        const float v = warp_sum(acc[t]);
        if (lane == 0 && t < n_here) y[(t0 + t) * n_out + row] = v;
    }
}

}  // namespace

void matmul(const device_weight & w, const float * x, int64_t n_tok, float * y, cudaStream_t s) {
    TTS_CHECK(w.data && w.n_in % math::k_chunk == 0, "matmul: n_in %lld is not a multiple of 32", (long long)w.n_in);
    if (n_tok == 0 || w.n_out == 0) return;
    const int64_t n_tiles = (n_tok + k_matmul_tok_tile - 1) / k_matmul_tok_tile;
    TTS_CHECK(n_tiles <= 65535, "matmul: %lld tokens exceed the grid", (long long)n_tok);
    const dim3 grid(unsigned((w.n_out + k_matmul_rows_per_block - 1) / k_matmul_rows_per_block), unsigned(n_tiles));
    dispatch_dtype(w.type, [&](auto tag) {
        matmul_kernel<decltype(tag)::value><<<grid, 32 * k_matmul_rows_per_block, 0, s>>>(
            static_cast<const uint8_t *>(w.data), row_bytes(uint32_t(w.type), w.n_in), w.n_out,
            w.n_in / math::k_chunk, x, n_tok, y);
    });
    TTS_CUDA_LAUNCHED();
}

size_t matmul_cublas_scratch(const device_weight & w) {
    const int64_t rows = std::clamp<int64_t>(int64_t(k_gemm_tile_elems) / std::max<int64_t>(w.n_in, 1), 1, w.n_out);
    return size_t(rows) * size_t(w.n_in);
}

void matmul_cublas(cublas_context & cb, const device_weight & w, const float * x, int64_t n_tok, float * y,
                   float * scratch, size_t scratch_elems) {
    TTS_CHECK(scratch_elems >= size_t(w.n_in), "matmul_cublas: scratch holds no row");
    const int64_t tile = std::min<int64_t>(int64_t(scratch_elems) / w.n_in, w.n_out);
    for (int64_t r0 = 0; r0 < w.n_out; r0 += tile) {
        const int64_t n_rows = std::min(tile, w.n_out - r0);
        dequantize_rows(w, nullptr, r0, n_rows, scratch, cb.stream());
        // Row-major y[n_tok, n_out] is column-major [n_out, n_tok]; its rows r0.. are
        // W_tile[n_rows, n_in] (column-major [n_in, n_rows], transposed) times x (column-major [n_in, n_tok]).
        cb.sgemm_tn(int(n_rows), int(n_tok), int(w.n_in), scratch, int(w.n_in), x, int(w.n_in), y + r0, int(w.n_out));
    }
}

}  // namespace tts::kernels::cuda
