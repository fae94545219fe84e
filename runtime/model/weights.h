// weights: the model's tensors as kernel-ready views into the mapped GGUF file.
//
// load() finds every tensor the architecture needs, checks its type is one the CPU kernels
// support and its shape matches model_config, and fails with a status naming the tensor and
// the problem otherwise. The views point into the gguf_file mapping, which weights keeps alive.
// Immutable after load().
#pragma once

#include <memory>
#include <vector>

#include "kernels/cpu/ops.h"
#include "runtime/base/status.h"
#include "runtime/model/gguf_file.h"
#include "runtime/model/model_config.h"

namespace tts::model {

struct layer_weights {
    const float * attn_norm = nullptr;  // [n_embd]
    kernels::cpu::weight_view wq, wk, wv, wo;
    const float * bq = nullptr;         // [n_heads * head_dim]     qwen2 only
    const float * bk = nullptr;         // [n_kv_heads * head_dim]  qwen2 only
    const float * bv = nullptr;         // [n_kv_heads * head_dim]  qwen2 only
    const float * q_norm = nullptr;     // [head_dim]               qwen3 only
    const float * k_norm = nullptr;     // [head_dim]               qwen3 only
    const float * ffn_norm = nullptr;   // [n_embd]
    kernels::cpu::weight_view w_gate, w_up, w_down;
};

struct weights {
    std::shared_ptr<const gguf_file> file;
    kernels::cpu::weight_view token_embd;   // [n_vocab, n_embd]
    const float * output_norm = nullptr;    // [n_embd]
    kernels::cpu::weight_view output;       // [n_vocab, n_embd]; token_embd when tied
    bool is_output_tied = false;
    std::vector<layer_weights> layers;

    static result<weights> load(std::shared_ptr<const gguf_file> file, const model_config & cfg);
};

}  // namespace tts::model
