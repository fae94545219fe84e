// pre_tokenizer: splits text into words before byte-level BPE, using the regexes of a named
// pre-tokenizer (GGUF tokenizer.ggml.pre).
//
// A pre-tokenizer is a list of PCRE2 patterns (UTF + UCP). As in llama.cpp, they are applied in
// order: each pattern splits every current piece into its matches and the gaps between them,
// and a pattern sees only its piece (look-aheads stop at the piece end). Bytes that are not
// valid UTF-8 become one-byte pieces of their own. Compiled once; the object is cheap to copy
// (patterns are shared) and split() may be called from any thread concurrently.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/base/status.h"

namespace tts::model {

class pre_tokenizer {
public:
    // Returns the pre-tokenizer for `name`, or invalid_argument for an unknown name or a
    // pattern PCRE2 rejects. Known: default, gpt2/gpt-2, llama3/llama-bpe/llama-v3/smaug-bpe/dbrx,
    // qwen2/deepseek-r1-qwen/stablelm2, smollm/starcoder/refact/command-r, tekken.
    static result<pre_tokenizer> create(std::string_view name);

    // Splits `text` into consecutive pieces whose concatenation is `text`.
    std::vector<std::string_view> split(std::string_view text) const;

    const std::string & name() const { return name_; }

private:
    struct compiled;
    std::string name_;
    std::vector<std::shared_ptr<const compiled>> patterns_;
};

}  // namespace tts::model
