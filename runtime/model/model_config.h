// model_config: the architecture hyper-parameters of a decoder-only model, read from GGUF.
//
// Supported architectures: llama (SmolLM2, Llama 3.x, TinyLlama), qwen2 (Qwen2.5,
// DeepSeek-R1-Distill-Qwen: q/k/v biases), qwen3 (per-head RMSNorm on q and k). Anything else
// is an error naming the file and the architecture. Plain value type.
#pragma once

#include <cstdint>
#include <string>

#include "kernels/cpu/ops.h"
#include "runtime/base/status.h"
#include "runtime/model/gguf_file.h"

namespace tts::model {

enum class arch { llama, qwen2, qwen3 };

struct model_config {
    arch architecture = arch::llama;
    std::string arch_name;          // "llama", "qwen2", "qwen3"
    std::string name;               // general.name, for display
    int32_t n_layers = 0;
    int32_t n_embd = 0;             // hidden size
    int32_t n_ff = 0;               // feed-forward size
    int32_t n_heads = 0;
    int32_t n_kv_heads = 0;
    int32_t head_dim = 0;           // key/value length per head
    int32_t n_vocab = 0;
    int32_t n_ctx_train = 0;        // context length the model was trained for
    float rope_freq_base = 10000.0f;
    float rms_eps = 1e-5f;
    kernels::cpu::rope_mode rope = kernels::cpu::rope_mode::normal;
    bool has_qkv_bias = false;      // qwen2
    bool has_qk_norm = false;       // qwen3

    static result<model_config> from_gguf(const gguf_file & f);
};

}  // namespace tts::model
