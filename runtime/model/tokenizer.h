// tokenizer: text <-> token ids for byte-level BPE ("gpt2") and SentencePiece ("llama") vocabs,
// matching llama.cpp's tokenization of the same GGUF file.
//
// Encoding runs in three stages: special-token partition (whole-string matches of control and
// user-defined tokens, longest first), then per text fragment either byte-level BPE (regex
// pre-tokenizer, GPT-2 byte map, rank-ordered merges) or SentencePiece (U+2581 for space,
// score-ordered merges, <0xNN> byte fallback), then BOS/EOS if asked. Decoding maps each token
// back to its bytes; for streaming, feed piece() into a utf8_stream (utf8_stream.h).
// Immutable after creation: any thread may call any method concurrently. Copying shares
// the compiled regexes.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "runtime/base/status.h"
#include "runtime/model/pre_tokenizer.h"
#include "runtime/model/vocab.h"

namespace tts::model {

class tokenizer {
public:
    // Builds a tokenizer from a vocab; `name` prefixes errors (a file path, or "test vocab").
    // Fails on an inconsistent vocab or an unknown pre-tokenizer.
    static result<tokenizer> create(vocab v, std::string_view name = "vocab");
    // Reads tokenizer.ggml.* from the file (vocab::from_gguf), then create().
    static result<tokenizer> from_gguf(const gguf_file & file);

    // Token ids for `text`. With parse_special, the text of any control or user-defined token
    // found in `text` becomes that token (how rendered chat templates are tokenized); without
    // it only user-defined tokens are matched, as in llama.cpp. With add_special, BOS and EOS
    // are added as the vocab's add_bos/add_eos say (SmolLM2 adds neither).
    std::vector<token_id> encode(std::string_view text, bool parse_special, bool add_special = false) const;

    // The bytes token `id` stands for (not necessarily whole UTF-8 characters). Control and
    // unknown tokens give "" unless render_control, then their text ("<|im_end|>").
    // REQUIRES: 0 <= id < n_tokens().
    const std::string & piece(token_id id, bool render_control = false) const;

    // Concatenated pieces. For spm vocabs with add_space_prefix, drops the one leading space
    // that encoding added. Ids out of range are skipped.
    std::string decode(std::span<const token_id> ids, bool render_control = false) const;

    // The id whose stored text is exactly `text` (byte-level encoded for bpe), if any.
    std::optional<token_id> find_token(std::string_view text) const;

    const vocab & get_vocab() const { return vocab_; }
    int32_t n_tokens() const { return vocab_.n_tokens(); }
    token_id bos() const { return vocab_.bos; }
    token_id eos() const { return vocab_.eos; }
    // True for control and unknown tokens (those piece() hides by default).
    bool is_control(token_id id) const;

private:
    struct string_hash {
        using is_transparent = void;
        size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };
    using string_map = std::unordered_map<std::string, int32_t, string_hash, std::equal_to<>>;

    tokenizer() = default;
    status init(std::string_view name);
    // Text fragments between special tokens, tokenized by the vocab's algorithm.
    void encode_bpe(std::string_view text, std::vector<token_id> & out) const;   // bpe_tokenizer.cpp
    void encode_bpe_word(std::string_view word, std::vector<token_id> & out) const;
    void encode_spm(std::string_view text, bool add_space, std::vector<token_id> & out) const;  // spm_tokenizer.cpp
    std::string make_piece(token_id id) const;

    vocab vocab_;
    string_map token_ids_;                   // token text -> id
    string_map merge_ranks_;                 // "left right" -> rank (bpe)
    std::optional<pre_tokenizer> pre_;       // bpe only
    bool is_ignore_merges_ = false;          // bpe: a word that is a whole token skips merging
    std::vector<token_id> specials_;         // control / user-defined / unknown, longest text first
    std::vector<std::string> pieces_;        // [n_tokens] decoded bytes
    std::array<token_id, 256> byte_ids_{};   // spm: id of <0xNN>, or no_token
    static inline const std::string empty_;
};

}  // namespace tts::model
