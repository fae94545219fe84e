// device: is there a usable CUDA device, and what is it — for load errors, logs and test skips.
//
// Pure queries of the CUDA runtime; any thread. Uses device 0 (the runtime's current device).
#pragma once

#include <string>

namespace tts::kernels::cuda {

// "" when device 0 is usable; otherwise why not, e.g. "cudaGetDeviceCount: no CUDA-capable
// device is detected" or "CUDA driver version is insufficient for CUDA runtime version".
std::string why_no_device();
// "NVIDIA H200 (sm_90, 139.8 GiB)". REQUIRES: why_no_device().empty().
std::string describe_device();
// Bytes of device memory free and total (cudaMemGetInfo). REQUIRES: a usable device.
void device_memory(size_t & n_free, size_t & n_total);

}  // namespace tts::kernels::cuda
