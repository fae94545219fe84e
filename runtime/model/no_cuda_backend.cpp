// make_cuda_backend for a build without -DTTS_CUDA=ON: asking for the device is an error that
// says how to get it, never a silent fall back to the CPU.
#include "runtime/model/forward_backend.h"

namespace tts::model {

result<std::unique_ptr<forward_backend>> make_cuda_backend(const std::string & path, const model_config &,
                                                           const weights &) {
    return status::unavailable(path + ": --device cuda: this ttscale was built without the CUDA backend "
                                      "(configure with -DTTS_CUDA=ON; needs nvcc and cuBLAS)");
}

}  // namespace tts::model
