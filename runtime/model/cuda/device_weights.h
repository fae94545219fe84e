// device_weights: the model's tensors uploaded once to device memory, for the CUDA forward pass.
//
// One device allocation (an arena) holds every tensor, each in its file type: quantised
// matrices stay quantised (the kernels dequantise per 32-value chunk), norms and biases are
// F32. A tied output matrix is the token embedding's bytes, not a second copy. upload() checks
// what the kernels need (a shipped type, rows a multiple of 32 values) and returns a status
// naming the tensor otherwise, or resource_exhausted when the device is too small.
// Immutable after upload; engine thread only.
#pragma once

#include <cuda_runtime_api.h>

#include <string>
#include <vector>

#include "kernels/cuda/device_buffer.h"
#include "kernels/cuda/device_weight.h"
#include "runtime/base/status.h"
#include "runtime/model/model_config.h"
#include "runtime/model/weights.h"

namespace tts::model {

struct device_layer {
    const float * attn_norm = nullptr;   // [n_embd]
    kernels::cuda::device_weight wq, wk, wv, wo;
    const float * bq = nullptr;          // [n_heads * head_dim]     qwen2 only
    const float * bk = nullptr;          // [n_kv_heads * head_dim]  qwen2 only
    const float * bv = nullptr;          // [n_kv_heads * head_dim]  qwen2 only
    const float * q_norm = nullptr;      // [head_dim]               qwen3 only
    const float * k_norm = nullptr;      // [head_dim]               qwen3 only
    const float * ffn_norm = nullptr;    // [n_embd]
    kernels::cuda::device_weight w_gate, w_up, w_down;
};

class device_weights {
public:
    // Copies every tensor of w to the device (synchronously). `path` names the model in errors.
    static result<device_weights> upload(const std::string & path, const model_config & cfg, const weights & w);

    kernels::cuda::device_weight token_embd;   // [n_vocab, n_embd]
    const float * output_norm = nullptr;       // [n_embd]
    kernels::cuda::device_weight output;       // [n_vocab, n_embd]; token_embd's bytes when tied
    std::vector<device_layer> layers;
    size_t n_bytes() const { return n_bytes_; }

private:
    kernels::cuda::device_buffer<uint8_t> arena_;
    size_t n_bytes_ = 0;
};

}  // namespace tts::model
