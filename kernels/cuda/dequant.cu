// dequant: one thread per (row, chunk); see dequant.cuh.
#include "kernels/cuda/common.cuh"
#include "kernels/cuda/dequant.cuh"
#include "kernels/cuda/math/quant_chunk.h"

namespace tts::kernels::cuda {

namespace {

template <dtype T>
__global__ void __launch_bounds__(k_dequant_threads)
    dequant_kernel(const uint8_t * __restrict__ w, size_t row_bytes, int64_t n_chunks, const int32_t * __restrict__ ids,
                   int64_t row0, int64_t n_rows, float * __restrict__ out) {
    const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= n_rows * n_chunks) return;
    const int64_t r = i / n_chunks, c = i % n_chunks;
    const int64_t src = ids ? int64_t(ids[r]) : row0 + r;
    math::dequant_chunk<T>(w + src * row_bytes, c, out + r * n_chunks * math::k_chunk + c * math::k_chunk);
}

}  // namespace

void dequantize_rows(const device_weight & w, const int32_t * ids, int64_t row0, int64_t n_rows, float * out,
                     cudaStream_t s) {
    TTS_CHECK(w.n_in % math::k_chunk == 0, "dequantize_rows: n_in %lld is not a multiple of 32", (long long)w.n_in);
    TTS_CHECK(ids || (row0 >= 0 && row0 + n_rows <= w.n_out), "dequantize_rows: rows outside the matrix");
    if (n_rows == 0) return;
    const int64_t n_chunks = w.n_in / math::k_chunk;
    dispatch_dtype(w.type, [&](auto tag) {
        dequant_kernel<decltype(tag)::value><<<grid_for(n_rows * n_chunks, k_dequant_threads), k_dequant_threads, 0, s>>>(
            static_cast<const uint8_t *>(w.data), row_bytes(uint32_t(w.type), w.n_in), n_chunks, ids, row0, n_rows, out);
    });
    TTS_CUDA_LAUNCHED();
}

}  // namespace tts::kernels::cuda
