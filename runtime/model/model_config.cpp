// Reads and checks architecture hyper-parameters; keys are "<arch>.<name>" as GGUF writes them.
#include "runtime/model/model_config.h"

#include <fmt/format.h>

namespace tts::model {
namespace {

// Reads "<arch>.<key>" as a positive integer; `required` decides whether absence is an error.
status read_int(const gguf_file & f, const std::string & key, int32_t & out, bool required) {
    auto v = f.get_int(key);
    if (!v) return v.error();
    if (!v.value()) {
        if (!required) return status::ok();
        return status::invalid_argument(fmt::format("{}: missing metadata key '{}'", f.path(), key));
    }
    int64_t x = *v.value();
    if (x <= 0 || x > (1 << 24))
        return status::invalid_argument(fmt::format("{}: metadata key '{}' = {} is out of range", f.path(), key, x));
    out = int32_t(x);
    return status::ok();
}

}  // namespace

result<model_config> model_config::from_gguf(const gguf_file & f) {
    model_config c;
    auto a = f.get_string("general.architecture");
    if (!a) return a.error();
    if (!a.value()) return status::invalid_argument(fmt::format("{}: missing metadata key 'general.architecture'", f.path()));
    c.arch_name = *a.value();
    if (c.arch_name == "llama") {
        c.architecture = arch::llama;
    } else if (c.arch_name == "qwen2") {
        c.architecture = arch::qwen2;
        c.rope = kernels::cpu::rope_mode::neox;
        c.has_qkv_bias = true;
    } else if (c.arch_name == "qwen3") {
        c.architecture = arch::qwen3;
        c.rope = kernels::cpu::rope_mode::neox;
        c.has_qk_norm = true;
    } else {
        return status::invalid_argument(fmt::format(
            "{}: architecture '{}' is not supported (supported: llama, qwen2, qwen3)", f.path(), c.arch_name));
    }
    if (auto n = f.get_string("general.name"); n && n.value()) c.name = *n.value();

    const std::string p = c.arch_name + ".";
    for (auto [key, field, required] : {std::tuple{"block_count", &c.n_layers, true},
                                        {"embedding_length", &c.n_embd, true},
                                        {"feed_forward_length", &c.n_ff, true},
                                        {"attention.head_count", &c.n_heads, true},
                                        {"attention.head_count_kv", &c.n_kv_heads, false},
                                        {"attention.key_length", &c.head_dim, false},
                                        {"context_length", &c.n_ctx_train, false},
                                        {"vocab_size", &c.n_vocab, false}}) {
        if (status s = read_int(f, p + key, *field, required); !s.is_ok()) return s;
    }
    if (c.n_kv_heads == 0) c.n_kv_heads = c.n_heads;
    if (c.head_dim == 0) c.head_dim = c.n_embd / c.n_heads;
    if (c.n_ctx_train == 0) c.n_ctx_train = 2048;
    if (c.n_heads % c.n_kv_heads != 0)
        return status::invalid_argument(fmt::format("{}: {} heads is not a multiple of {} kv heads", f.path(), c.n_heads, c.n_kv_heads));
    if (c.head_dim % 2 != 0 || c.head_dim > 512)
        return status::invalid_argument(fmt::format("{}: head dimension {} is not supported", f.path(), c.head_dim));
    if (auto v = f.get_float(p + "rope.freq_base"); !v) return v.error(); else if (v.value()) c.rope_freq_base = float(*v.value());
    if (auto v = f.get_float(p + "attention.layer_norm_rms_epsilon"); !v) return v.error(); else if (v.value()) c.rms_eps = float(*v.value());
    if (auto v = f.get_int(p + "rope.dimension_count"); !v) {
        return v.error();
    } else if (v.value() && *v.value() != c.head_dim) {
        return status::invalid_argument(fmt::format("{}: partial rotary embedding ({} of {} dims) is not supported", f.path(), *v.value(), c.head_dim));
    }
    if (c.n_vocab == 0) {
        auto toks = f.get_string_array("tokenizer.ggml.tokens");
        if (!toks) return toks.error();
        c.n_vocab = int32_t(toks.value().size());
    }
    return c;
}

}  // namespace tts::model
