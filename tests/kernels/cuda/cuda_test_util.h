// cuda_test_util: device copies of host vectors for the CUDA kernel tests (label cuda).
#pragma once

#include <cuda_runtime_api.h>

#include <vector>

#include "kernels/cuda/check.h"
#include "kernels/cuda/device_buffer.h"

namespace tts::kernels::test {

template <typename T>
cuda::device_buffer<T> to_device(const std::vector<T> & h) {
    cuda::device_buffer<T> d(std::max<size_t>(h.size(), 1));
    TTS_CUDA_CHECK(cudaMemcpy(d.data(), h.data(), h.size() * sizeof(T), cudaMemcpyHostToDevice));
    return d;
}

template <typename T>
std::vector<T> to_host(const cuda::device_buffer<T> & d, size_t n) {
    TTS_CUDA_CHECK(cudaDeviceSynchronize());
    std::vector<T> h(n);
    TTS_CUDA_CHECK(cudaMemcpy(h.data(), d.data(), n * sizeof(T), cudaMemcpyDeviceToHost));
    return h;
}

// Number of positions where the bits differ (prints the first few).
inline int64_t count_bit_diffs(const char * what, const std::vector<float> & got, const std::vector<float> & want) {
    int64_t bad = 0;
    for (size_t i = 0; i < got.size() && i < want.size(); ++i) {
        if (std::memcmp(&got[i], &want[i], sizeof(float)) != 0 && ++bad <= 5)
            std::fprintf(stderr, "  %s [%zu]: got %.9g want %.9g\n", what, i, got[i], want[i]);
    }
    return bad + int64_t(got.size() != want.size());
}

}  // namespace tts::kernels::test
