// device_buffer: an owned, growable array in device memory (cudaMalloc), move-only.
//
// reserve(n) keeps the contents only if no reallocation is needed (scratch use); a failed
// allocation is a TTS_CUDA_CHECK, except through try_reserve, which reports it. Freed on
// destruction. Host code only; one thread at a time.
#pragma once

#include <cstddef>
#include <utility>

#include "kernels/cuda/check.h"

namespace tts::kernels::cuda {

template <typename T>
class device_buffer {
public:
    device_buffer() = default;
    explicit device_buffer(size_t n) { reserve(n); }
    ~device_buffer() { release(); }
    device_buffer(device_buffer && o) noexcept : p_(std::exchange(o.p_, nullptr)), n_(std::exchange(o.n_, 0)) {}
    device_buffer & operator=(device_buffer && o) noexcept {
        if (this != &o) {
            release();
            p_ = std::exchange(o.p_, nullptr);
            n_ = std::exchange(o.n_, 0);
        }
        return *this;
    }

    // Ensures room for n elements; false (buffer empty) if the device is out of memory.
    bool try_reserve(size_t n) {
        if (n <= n_) return true;
        release();
        void * p = nullptr;
        if (cudaMalloc(&p, n * sizeof(T)) != cudaSuccess) {
            cudaGetLastError();
            return false;
        }
        p_ = static_cast<T *>(p);
        n_ = n;
        return true;
    }
    void reserve(size_t n) { TTS_CHECK(try_reserve(n), "cudaMalloc of %zu bytes failed", n * sizeof(T)); }

    T * data() { return p_; }
    const T * data() const { return p_; }
    size_t size() const { return n_; }

private:
    void release() {
        if (p_) cudaFree(p_);
        p_ = nullptr;
        n_ = 0;
    }

    T * p_ = nullptr;
    size_t n_ = 0;
};

}  // namespace tts::kernels::cuda
