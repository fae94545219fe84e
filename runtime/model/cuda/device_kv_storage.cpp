// device_kv_storage: cudaMalloc'd pages, strided device copies.
#include "runtime/model/cuda/device_kv_storage.h"

#include "kernels/cuda/check.h"

namespace tts::model {

device_kv_storage::~device_kv_storage() {
    TTS_CHECK(n_bytes_ == 0, "device KV storage destroyed with %zu bytes still in a pool", n_bytes_);
}

uint16_t * device_kv_storage::allocate(size_t n_bytes) {
    void * p = nullptr;
    const cudaError_t err = cudaMalloc(&p, n_bytes);
    if (err != cudaSuccess) {
        cudaGetLastError();
        size_t n_free = 0, n_total = 0;
        cudaMemGetInfo(&n_free, &n_total);
        TTS_CHECK(false, "KV pool: cannot allocate %.1f MiB of device memory (%.1f MiB free): %s; use a smaller KV size",
                  double(n_bytes) / (1 << 20), double(n_free) / (1 << 20), cudaGetErrorString(err));
    }
    sizes_[static_cast<const uint16_t *>(p)] = n_bytes;
    n_bytes_ += n_bytes;
    return static_cast<uint16_t *>(p);
}

void device_kv_storage::deallocate(uint16_t * p) {
    auto it = sizes_.find(p);
    TTS_CHECK(it != sizes_.end(), "device KV storage: freeing a pointer it did not allocate");
    TTS_CUDA_CHECK(cudaStreamSynchronize(stream_));   // no queued kernel may still use the pages
    TTS_CUDA_CHECK(cudaFree(p));
    n_bytes_ -= it->second;
    sizes_.erase(it);
}

void device_kv_storage::copy_runs(uint16_t * dst, const uint16_t * src, size_t run_bytes, size_t n_runs,
                                  size_t pitch_bytes) {
    TTS_CUDA_CHECK(cudaMemcpy2DAsync(dst, pitch_bytes, src, pitch_bytes, run_bytes, n_runs, cudaMemcpyDeviceToDevice,
                                     stream_));
}

bool device_kv_storage::owns(const uint16_t * p) const {
    for (const auto & [base, n] : sizes_)
        if (p >= base && p < base + n / sizeof(uint16_t)) return true;
    return false;
}

}  // namespace tts::model
