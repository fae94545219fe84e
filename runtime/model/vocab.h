// vocab: the plain description of a tokenizer, as a GGUF file stores it under tokenizer.ggml.*.
//
// A value type with no behaviour beyond loading and validation: tokenizer is built from it,
// tests build one by hand. Token ids index `tokens`; `scores` and `types` are either empty or
// the same length as `tokens`. Merges (byte-level BPE only) are "left right" strings whose
// index is their rank (lower merges first). Immutable once handed to a tokenizer.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/base/status.h"

namespace tts::model {

class gguf_file;

using token_id = int32_t;
inline constexpr token_id no_token = -1;

// Token types, numbered as in GGUF tokenizer.ggml.token_type.
enum class token_type : int32_t {
    undefined = 0, normal = 1, unknown = 2, control = 3, user_defined = 4, unused = 5, byte = 6,
};

// The two tokenizer algorithms we implement (tokenizer.ggml.model).
enum class vocab_kind {
    bpe,  // "gpt2": byte-level BPE with rank-ordered merges and a regex pre-tokenizer
    spm,  // "llama": SentencePiece, score-ordered merges, U+2581 for space, <0xNN> byte fallback
};

struct vocab {
    vocab_kind kind = vocab_kind::bpe;
    std::string pre = "default";        // tokenizer.ggml.pre (bpe only)
    std::vector<std::string> tokens;    // [n_tokens] token text (byte-level encoded for bpe)
    std::vector<float> scores;          // [n_tokens] or empty
    std::vector<token_type> types;      // [n_tokens] or empty (all normal)
    std::vector<std::string> merges;    // [n_merges] "left right", rank = index (bpe only)

    token_id bos = no_token;
    token_id eos = no_token;
    token_id unk = no_token;
    token_id pad = no_token;
    token_id eot = no_token;            // end of turn, when the file names one
    token_id eom = no_token;            // end of message (llama 3.1 tool calls)

    bool add_bos = false;
    bool add_eos = false;
    bool add_space_prefix = false;      // spm: prepend a space to text that starts a fragment

    int32_t n_tokens() const { return static_cast<int32_t>(tokens.size()); }
    token_type type_of(token_id id) const { return types.empty() ? token_type::normal : types[id]; }

    // Checks sizes and ids; errors are prefixed with `name` (usually the file path).
    status validate(std::string_view name) const;

    // Reads tokenizer.ggml.* from a GGUF file. Defaults follow llama.cpp where keys are
    // absent (spm: add_bos and add_space_prefix on; bpe llama3/tekken: add_bos on).
    static result<vocab> from_gguf(const gguf_file & file);
};

}  // namespace tts::model
