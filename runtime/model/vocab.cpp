// vocab: loading tokenizer.ggml.* from GGUF metadata, and validation.
#include "runtime/model/vocab.h"

#include <cstdint>
#include <optional>

#include "runtime/model/gguf_file.h"

namespace tts::model {
namespace {

status key_error(const gguf_file & f, std::string_view key, const std::string & what) {
    return status::invalid_argument(f.path() + ": " + std::string(key) + ": " + what);
}

// Reads an optional token id key into `out`; leaves `out` alone when the key is absent.
status read_id(const gguf_file & f, std::string_view key, token_id & out) {
    auto r = f.get_int(key);
    if (!r) return r.error();
    if (!r.value()) return status::ok();
    const int64_t id = *r.value();   // checked before narrowing: 2^32 + 1 must not become 1
    if (id < 0 || id > INT32_MAX) return key_error(f, key, "id " + std::to_string(id) + " is out of range");
    out = static_cast<token_id>(id);
    return status::ok();
}

status read_flag(const gguf_file & f, std::string_view key, bool & out) {
    auto r = f.get_bool(key);
    if (!r) return r.error();
    if (r.value()) out = *r.value();
    return status::ok();
}

// The keys that name special ids, with where each goes.
struct id_key { std::string_view key; token_id vocab::*field; };
constexpr id_key k_id_keys[] = {
    {"tokenizer.ggml.bos_token_id", &vocab::bos},
    {"tokenizer.ggml.eos_token_id", &vocab::eos},
    {"tokenizer.ggml.unknown_token_id", &vocab::unk},
    {"tokenizer.ggml.padding_token_id", &vocab::pad},
    {"tokenizer.ggml.eot_token_id", &vocab::eot},
    {"tokenizer.ggml.eom_token_id", &vocab::eom},
};

status read_model_kind(const gguf_file & f, vocab & v) {
    auto model = f.get_string("tokenizer.ggml.model");
    if (!model) return model.error();
    if (!model.value()) return key_error(f, "tokenizer.ggml.model", "missing");
    const std::string & m = *model.value();
    if (m == "gpt2") {
        v.kind = vocab_kind::bpe;
    } else if (m == "llama") {
        v.kind = vocab_kind::spm;
    } else {
        return key_error(f, "tokenizer.ggml.model", "unsupported tokenizer model \"" + m + "\" (expected gpt2 or llama)");
    }
    auto pre = f.get_string("tokenizer.ggml.pre");
    if (!pre) return pre.error();
    if (pre.value()) v.pre = *pre.value();
    return status::ok();
}

status read_arrays(const gguf_file & f, vocab & v) {
    auto tokens = f.get_string_array("tokenizer.ggml.tokens");
    if (!tokens) return tokens.error();
    if (tokens->empty()) return key_error(f, "tokenizer.ggml.tokens", "missing or empty");
    v.tokens.assign(tokens->begin(), tokens->end());

    if (f.find("tokenizer.ggml.scores")) {
        auto scores = f.get_float_array("tokenizer.ggml.scores");
        if (!scores) return scores.error();
        v.scores.assign(scores->begin(), scores->end());
    }
    if (f.find("tokenizer.ggml.token_type")) {
        auto types = f.get_int_array("tokenizer.ggml.token_type");
        if (!types) return types.error();
        for (int64_t t : *types) {
            if (t < 0 || t > static_cast<int64_t>(token_type::byte)) {
                return key_error(f, "tokenizer.ggml.token_type", "unknown token type " + std::to_string(t));
            }
            v.types.push_back(static_cast<token_type>(t));
        }
    }
    auto merges = f.get_string_array("tokenizer.ggml.merges");
    if (!merges) return merges.error();
    v.merges.assign(merges->begin(), merges->end());
    return status::ok();
}

}  // namespace

status vocab::validate(std::string_view name) const {
    const std::string where = std::string(name) + ": ";
    if (tokens.empty()) return status::invalid_argument(where + "tokenizer.ggml.tokens: empty vocabulary");
    if (!scores.empty() && scores.size() != tokens.size()) {
        return status::invalid_argument(where + "tokenizer.ggml.scores: " + std::to_string(scores.size()) +
                                        " scores for " + std::to_string(tokens.size()) + " tokens");
    }
    if (!types.empty() && types.size() != tokens.size()) {
        return status::invalid_argument(where + "tokenizer.ggml.token_type: " + std::to_string(types.size()) +
                                        " types for " + std::to_string(tokens.size()) + " tokens");
    }
    if (kind == vocab_kind::bpe && merges.empty()) {
        return status::invalid_argument(where + "tokenizer.ggml.merges: missing for a gpt2 tokenizer");
    }
    for (size_t i = 0; i < merges.size(); ++i) {
        const size_t sp = merges[i].find(' ', 1);
        if (sp == std::string::npos || sp + 1 >= merges[i].size()) {
            return status::invalid_argument(where + "tokenizer.ggml.merges[" + std::to_string(i) + "]: expected \"left right\", got \"" + merges[i] + "\"");
        }
    }
    for (const id_key & k : k_id_keys) {
        const token_id id = this->*k.field;
        if (id != no_token && (id < 0 || id >= n_tokens())) {
            return status::invalid_argument(where + std::string(k.key) + ": id " + std::to_string(id) +
                                            " out of range [0, " + std::to_string(n_tokens()) + ")");
        }
    }
    if (add_bos && bos == no_token) return status::invalid_argument(where + "tokenizer.ggml.add_bos_token: set but no bos_token_id");
    if (add_eos && eos == no_token) return status::invalid_argument(where + "tokenizer.ggml.add_eos_token: set but no eos_token_id");
    return status::ok();
}

result<vocab> vocab::from_gguf(const gguf_file & f) {
    vocab v;
    if (status s = read_model_kind(f, v); !s.is_ok()) return s;
    if (status s = read_arrays(f, v); !s.is_ok()) return s;
    for (const id_key & k : k_id_keys) {
        if (status s = read_id(f, k.key, v.*k.field); !s.is_ok()) return s;
    }
    // llama.cpp's defaults when the file does not say.
    v.add_bos = v.kind == vocab_kind::spm || v.pre == "llama3" || v.pre == "llama-bpe" ||
                v.pre == "llama-v3" || v.pre == "tekken";
    v.add_space_prefix = v.kind == vocab_kind::spm;
    if (status s = read_flag(f, "tokenizer.ggml.add_bos_token", v.add_bos); !s.is_ok()) return s;
    if (status s = read_flag(f, "tokenizer.ggml.add_eos_token", v.add_eos); !s.is_ok()) return s;
    if (status s = read_flag(f, "tokenizer.ggml.add_space_prefix", v.add_space_prefix); !s.is_ok()) return s;
    if (status s = v.validate(f.path()); !s.is_ok()) return s;
    return v;
}

}  // namespace tts::model
