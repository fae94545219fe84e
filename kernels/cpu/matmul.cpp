// matmul: y = x W^T for every weight type; picks the best kernel at the active SIMD level,
// quantises the activations once, and splits output rows across the pool.
#include <algorithm>
#include <vector>

#include "kernels/cpu/matmul_kernels.h"
#include "kernels/cpu/ops.h"
#include "kernels/cpu/simd_level.h"
#include "runtime/base/check.h"

namespace tts::kernels::cpu {

namespace {

mm_kernel pick_kernel(dtype t) {
    const simd_level level = simd_level_active();
    if (level >= simd_level::avx512) {
        if (mm_kernel k = mm_kernel_avx512(t); k.rows) return k;
    }
    if (level >= simd_level::avx2) {
        if (mm_kernel k = mm_kernel_avx2(t); k.rows) return k;
    }
    mm_kernel k = mm_kernel_scalar(t);
    TTS_CHECK(k.rows, "matmul: unsupported weight type %s reached a kernel", dtype_name(uint32_t(t)));
    return k;
}

// Below this many activation values, quantising on the calling thread beats a pool round trip.
constexpr int64_t k_parallel_quantize_min = 32 * 1024;

}  // namespace

void matmul(thread_pool & pool, const weight_view & w, const float * x, int64_t n_tok, float * y) {
    const int64_t be = block_elems(uint32_t(w.type));
    TTS_CHECK(w.data && be > 0 && w.n_in > 0 && w.n_in % be == 0 && w.n_out > 0,
              "matmul: bad weight %s [%lld x %lld]", dtype_name(uint32_t(w.type)), (long long)w.n_out,
              (long long)w.n_in);
    TTS_CHECK(n_tok >= 0, "matmul: n_tok %lld", (long long)n_tok);
    if (n_tok == 0) return;
    const mm_kernel k = pick_kernel(w.type);

    mm_problem p;
    p.w = &w;
    p.x = x;
    p.n_tok = n_tok;
    p.y = y;
    static thread_local std::vector<uint8_t> xq_buf;   // engine thread only; reused across calls
    if (k.xq_row_bytes) {
        p.xq_stride = k.xq_row_bytes(w.n_in);
        if (xq_buf.size() < p.xq_stride * size_t(n_tok) + 64) xq_buf.resize(p.xq_stride * size_t(n_tok) + 64);
        uint8_t * base = xq_buf.data() + (64 - reinterpret_cast<uintptr_t>(xq_buf.data()) % 64) % 64;
        p.xq = base;
        auto quantize_rows = [&](int ith, int nth) {
            for (int64_t t = ith; t < n_tok; t += nth) k.quantize(x + t * w.n_in, w.n_in, base + t * p.xq_stride);
        };
        if (n_tok * w.n_in < k_parallel_quantize_min) quantize_rows(0, 1);
        else pool.run(quantize_rows);
    }
    pool.run([&](int ith, int nth) {
        // Contiguous row ranges in whole tiles of 16 rows (the SIMD kernels' panel height).
        const int64_t per = ((w.n_out + nth - 1) / nth + 15) & ~int64_t(15);
        const int64_t r0 = std::min<int64_t>(w.n_out, per * ith);
        const int64_t r1 = std::min<int64_t>(w.n_out, r0 + per);
        if (r0 < r1) k.rows(p, r0, r1);
    });
}

}  // namespace tts::kernels::cpu
