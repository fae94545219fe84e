// device: CUDA runtime queries.
#include "kernels/cuda/device.h"

#include <cstdio>

#include "kernels/cuda/check.h"
#include "kernels/cuda/device_weight.h"
#include "kernels/cuda/dispatch.h"

namespace tts::kernels::cuda {

std::string why_no_device() {
    int n = 0;
    const cudaError_t err = cudaGetDeviceCount(&n);
    if (err != cudaSuccess) {
        cudaGetLastError();   // clear the sticky error for later callers
        return std::string("cudaGetDeviceCount: ") + cudaGetErrorString(err);
    }
    if (n == 0) return "no CUDA device";
    cudaDeviceProp p{};
    if (cudaGetDeviceProperties(&p, 0) != cudaSuccess) return "cudaGetDeviceProperties failed";
    return "";
}

std::string describe_device() {
    cudaDeviceProp p{};
    TTS_CUDA_CHECK(cudaGetDeviceProperties(&p, 0));
    char buf[320];
    std::snprintf(buf, sizeof buf, "%s (sm_%d%d, %.1f GiB)", p.name, p.major, p.minor,
                  double(p.totalGlobalMem) / double(1ull << 30));
    return buf;
}

void device_memory(size_t & n_free, size_t & n_total) { TTS_CUDA_CHECK(cudaMemGetInfo(&n_free, &n_total)); }

bool is_supported(dtype t) {
    for (dtype s : k_shipped_dtypes)
        if (s == t) return true;
    return false;
}

}  // namespace tts::kernels::cuda
