// Tensor lookup and validation. GGUF shapes list the contiguous dimension first, so a matrix
// with n_out rows of n_in values has shape [n_in, n_out].
#include "runtime/model/weights.h"

#include <fmt/format.h>

namespace tts::model {
namespace {

using kernels::cpu::weight_view;

struct finder {
    const gguf_file & f;

    status missing(const std::string & name) const {
        return status::invalid_argument(fmt::format("{}: tensor '{}' is missing", f.path(), name));
    }
    status bad_shape(const gguf_tensor & t, const std::string & want) const {
        std::string got;
        for (int64_t d : t.shape) got += (got.empty() ? "" : ", ") + std::to_string(d);
        return status::invalid_argument(fmt::format("{}: tensor '{}' has shape [{}], expected [{}]", f.path(), t.name, got, want));
    }

    // A matrix of n_out rows x n_in columns in any supported weight type.
    result<weight_view> matrix(const std::string & name, int64_t n_in, int64_t n_out) const {
        const gguf_tensor * t = f.find_tensor(name);
        if (!t) return missing(name);
        auto dt = kernels::weight_dtype(t->type);
        if (!dt)
            return status::invalid_argument(fmt::format("{}: tensor '{}' has type {}, which the CPU kernels do not support",
                                                        f.path(), name, kernels::dtype_name(t->type)));
        if (t->shape.size() != 2 || t->shape[0] != n_in || t->shape[1] != n_out)
            return bad_shape(*t, fmt::format("{}, {}", n_in, n_out));
        return weight_view{t->data, *dt, n_out, n_in};
    }

    // An F32 vector of n values (norm weights, biases).
    result<const float *> vector(const std::string & name, int64_t n) const {
        const gguf_tensor * t = f.find_tensor(name);
        if (!t) return missing(name);
        if (t->type != uint32_t(kernels::dtype::f32))
            return status::invalid_argument(fmt::format("{}: tensor '{}' has type {}, expected F32", f.path(), name, kernels::dtype_name(t->type)));
        if (t->n_elems() != n) return bad_shape(*t, std::to_string(n));
        return reinterpret_cast<const float *>(t->data);
    }
};

// Assigns a result's value to out or returns its error from the enclosing function.
#define TTS_ASSIGN(out, expr)                 \
    do {                                      \
        auto r_ = (expr);                     \
        if (!r_) return r_.error();           \
        out = std::move(r_).value();          \
    } while (0)

}  // namespace

result<weights> weights::load(std::shared_ptr<const gguf_file> file, const model_config & c) {
    weights w;
    w.file = file;
    finder fd{*file};
    // Llama 3.1+ long-context RoPE scaling: per-frequency factors we do not apply yet. Loading
    // would silently compute other logits than the model's, so refuse it.
    if (file->find_tensor("rope_freqs.weight"))
        return status::invalid_argument(fmt::format(
            "{}: tensor 'rope_freqs.weight' (Llama 3.1 RoPE frequency scaling) is not supported yet", file->path()));
    const int64_t q_dim = int64_t(c.n_heads) * c.head_dim, kv_dim = int64_t(c.n_kv_heads) * c.head_dim;
    TTS_ASSIGN(w.token_embd, fd.matrix("token_embd.weight", c.n_embd, c.n_vocab));
    TTS_ASSIGN(w.output_norm, fd.vector("output_norm.weight", c.n_embd));
    if (file->find_tensor("output.weight")) {
        TTS_ASSIGN(w.output, fd.matrix("output.weight", c.n_embd, c.n_vocab));
    } else {
        w.output = w.token_embd;
        w.is_output_tied = true;
    }
    // One layer at a time: a forged block_count fails at its first missing tensor instead of
    // sizing an allocation (a fuzzed 2^24 layers asked for 4.7 GB).
    for (int32_t i = 0; i < c.n_layers; ++i) {
        layer_weights & l = w.layers.emplace_back();
        auto n = [i](const char * s) { return fmt::format("blk.{}.{}", i, s); };
        TTS_ASSIGN(l.attn_norm, fd.vector(n("attn_norm.weight"), c.n_embd));
        TTS_ASSIGN(l.wq, fd.matrix(n("attn_q.weight"), c.n_embd, q_dim));
        TTS_ASSIGN(l.wk, fd.matrix(n("attn_k.weight"), c.n_embd, kv_dim));
        TTS_ASSIGN(l.wv, fd.matrix(n("attn_v.weight"), c.n_embd, kv_dim));
        TTS_ASSIGN(l.wo, fd.matrix(n("attn_output.weight"), q_dim, c.n_embd));
        if (c.has_qkv_bias) {
            TTS_ASSIGN(l.bq, fd.vector(n("attn_q.bias"), q_dim));
            TTS_ASSIGN(l.bk, fd.vector(n("attn_k.bias"), kv_dim));
            TTS_ASSIGN(l.bv, fd.vector(n("attn_v.bias"), kv_dim));
        }
        if (c.has_qk_norm) {
            TTS_ASSIGN(l.q_norm, fd.vector(n("attn_q_norm.weight"), c.head_dim));
            TTS_ASSIGN(l.k_norm, fd.vector(n("attn_k_norm.weight"), c.head_dim));
        }
        TTS_ASSIGN(l.ffn_norm, fd.vector(n("ffn_norm.weight"), c.n_embd));
        TTS_ASSIGN(l.w_gate, fd.matrix(n("ffn_gate.weight"), c.n_embd, c.n_ff));
        TTS_ASSIGN(l.w_up, fd.matrix(n("ffn_up.weight"), c.n_embd, c.n_ff));
        TTS_ASSIGN(l.w_down, fd.matrix(n("ffn_down.weight"), c.n_ff, c.n_embd));
    }
    return w;
}

}  // namespace tts::model
