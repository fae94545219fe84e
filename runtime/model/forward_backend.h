// forward_backend: a device-specific forward pass the decoder delegates to, chosen at load time.
//
// The CPU forward pass lives in decoder.cpp itself; a decoder loaded with --device cuda
// delegates forward() to a cuda_forward (runtime/model/cuda/), which keeps its own copy of the
// weights on the device and supplies the kv_storage the engine builds its KV pool in. Block
// tables, prefix index, fork / cancel / copy-on-write stay host-side in runtime/kv and
// runtime/engine, identical for every device; only the pages' bytes live on the device.
// Engine thread only, like decoder::forward.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "runtime/base/status.h"
#include "runtime/kv/kv_storage.h"
#include "runtime/kv/kv_view.h"
#include "runtime/model/model_config.h"
#include "runtime/model/weights.h"

namespace tts::model {

struct batch;

enum class device_kind { cpu, cuda };

// "cpu" / "cuda".
const char * device_name(device_kind d);
// Parses a --device value; an error names the value and the choices.
result<device_kind> parse_device(std::string_view s);

class forward_backend {
public:
    virtual ~forward_backend() = default;
    // As decoder::forward: runs b over kv (whose k/v point into kv_storage()), writes logits
    // [b.logits_rows.size(), n_vocab] to host memory.
    virtual void forward(const batch & b, const kv::kv_view & kv, float * logits) = 0;
    // Where the engine's KV pool must live for this backend's kernels.
    virtual kv::kv_storage & kv_storage() = 0;
    // For logs: "cuda: NVIDIA H200 (sm_90, 139.8 GiB)".
    virtual std::string description() const = 0;
};

// The CUDA forward pass over cfg and w (uploaded to the device, quantised types kept as they
// are). Errors: the build has no CUDA backend (configure with -DTTS_CUDA=ON), no usable
// device, a head size or row length the kernels are not instantiated for, out of device memory.
// `path` names the model in messages.
result<std::unique_ptr<forward_backend>> make_cuda_backend(const std::string & path, const model_config & cfg,
                                                           const weights & w);

}  // namespace tts::model
