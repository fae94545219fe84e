// fuzz_vocab: tokenizers the tokenizer and chat-template fuzz targets share, built in code.
//
// byte_bpe(pre): a byte-level BPE vocab holding every one of the 256 byte symbols, a few
// merges and the chat markers of ChatML, Llama 3 and DeepSeek-R1 as control tokens, so any
// byte string can be encoded and must decode back to itself. byte_spm(): a SentencePiece
// vocab with the 256 <0xNN> byte-fallback pieces. Fuzz-only code (tests/fuzz).
#pragma once

#include <string_view>
#include <vector>

#include "runtime/model/tokenizer.h"

namespace tts::fuzz {

// The pre-tokenizer names the BPE tokenizer knows (runtime/model/pre_tokenizer.cpp).
const std::vector<std::string_view> & pre_tokenizer_names();
// REQUIRES: pre is one of pre_tokenizer_names(). Built once per name.
const model::tokenizer & byte_bpe(std::string_view pre);
const model::tokenizer & byte_spm();

}  // namespace tts::fuzz
