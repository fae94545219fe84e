// decoder: one forward pass of a loaded model over a batch of tokens from many sequences.
//
// Owns the model (GGUF mapping, config, weights, tokenizer, chat template) and scratch
// buffers; runs each step as a sequence of CPU kernel calls, or, when loaded for another
// device, delegates forward() to that device's forward_backend (forward_backend.h). K/V live
// outside, in a paged cache described by kv_view: the decoder appends this step's K/V and
// attends through it.
// Not thread-safe: one engine thread calls forward(); the kernels use the decoder's pool.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "kernels/cpu/ops.h"
#include "kernels/cpu/thread_pool.h"
#include "runtime/base/status.h"
#include "runtime/kv/kv_view.h"
#include "runtime/model/chat_template.h"
#include "runtime/model/forward_backend.h"
#include "runtime/model/gguf_file.h"
#include "runtime/model/model_config.h"
#include "runtime/model/tokenizer.h"
#include "runtime/model/weights.h"

namespace tts::model {

// One step's work: token i belongs to kv sequence seq[i] (an index into the kv_view's CSR)
// at position pos[i]. Logits are computed only for the tokens listed in logits_rows.
struct batch {
    std::vector<int32_t> tokens;        // [n_tok]
    std::vector<int32_t> pos;           // [n_tok]
    std::vector<int32_t> seq;           // [n_tok]
    std::vector<int32_t> logits_rows;   // indices into tokens, ascending

    void clear() { tokens.clear(); pos.clear(); seq.clear(); logits_rows.clear(); }
    void add(int32_t token, int32_t position, int32_t sequence, bool want_logits) {
        if (want_logits) logits_rows.push_back(int32_t(tokens.size()));
        tokens.push_back(token);
        pos.push_back(position);
        seq.push_back(sequence);
    }
    int32_t size() const { return int32_t(tokens.size()); }
};

class decoder {
public:
    // Opens and validates the GGUF file, its architecture, weights and tokenizer; for
    // device_kind::cuda also uploads the weights (errors: no CUDA build, no device, ...).
    static result<std::unique_ptr<decoder>> load(const std::string & path, int n_threads,
                                                 device_kind device = device_kind::cpu);

    const model_config & config() const { return cfg_; }
    const tokenizer & vocab() const { return *tok_; }
    const chat_template & chat() const { return *chat_; }
    const gguf_file & file() const { return *file_; }
    kernels::cpu::thread_pool & pool() { return pool_; }
    device_kind device() const { return backend_ ? device_kind::cuda : device_kind::cpu; }
    // Where the engine must put its KV pool for forward(): host memory, or the backend's.
    kv::kv_storage & kv_storage() { return backend_ ? backend_->kv_storage() : kv::host_kv_storage(); }
    // "cpu (2 threads)" or the backend's description, for logs.
    std::string device_description() const;

    // True for tokens that end generation: EOS, end-of-turn tokens of the chat template.
    bool is_end_of_generation(int32_t token) const;
    const std::vector<int32_t> & end_of_generation() const { return eog_; }

    // Runs the batch. Writes logits [b.logits_rows.size(), n_vocab] to `logits`.
    // REQUIRES: kv has room for every (seq, pos) in b (pages reserved), tokens < n_vocab.
    void forward(const batch & b, const kv::kv_view & kv, float * logits);

private:
    decoder(std::shared_ptr<gguf_file> file, model_config cfg, weights w, std::unique_ptr<tokenizer> tok,
            std::unique_ptr<chat_template> chat, int n_threads);
    void ensure_scratch(int32_t n_tok);
    void attention_block(int32_t layer, const batch & b, const kv::kv_view & kv, int32_t n);
    void ffn_block(int32_t layer, int32_t n);

    std::shared_ptr<gguf_file> file_;
    model_config cfg_;
    weights w_;
    std::unique_ptr<tokenizer> tok_;
    std::unique_ptr<chat_template> chat_;
    kernels::cpu::thread_pool pool_;
    std::vector<int32_t> eog_;   // end-of-generation token ids
    std::unique_ptr<forward_backend> backend_;   // null: the CPU pass below

    int32_t n_scratch_ = 0;
    std::vector<float> x_;      // [n_tok, n_embd] residual stream
    std::vector<float> h_;      // [n_tok, n_embd] normed input
    std::vector<float> q_;      // [n_tok, n_heads * head_dim]
    std::vector<float> k_;      // [n_tok, n_kv_heads * head_dim]
    std::vector<float> v_;      // [n_tok, n_kv_heads * head_dim]
    std::vector<float> att_;    // [n_tok, n_heads * head_dim]
    std::vector<float> gate_;   // [n_tok, n_ff]
    std::vector<float> up_;     // [n_tok, n_ff]
    std::vector<float> out_;    // [n_tok, n_embd]
};

}  // namespace tts::model
