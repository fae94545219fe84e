// tiny_model: a random-weight llama small enough that an engine step takes microseconds.
//
// 2 layers, 32-wide, 4 heads over 2 KV heads, F32 weights drawn from a seeded generator, and
// a byte-level BPE vocabulary of 81 tokens: <|endoftext|> (0, EOS), <|im_start|> (1),
// <|im_end|> (2, end of turn), printable ASCII letters, digits and punctuation, 'Ġ' (space),
// 'Ċ' (newline) and two merges. No chat template: the vocab's markers select ChatML. Built in
// memory with gguf_writer, so engine and controller tests need no downloaded model. Test-only.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "runtime/model/decoder.h"

namespace tts::testing {

struct tiny_model_options {
    int32_t n_ctx = 4096;  // llama.context_length (the engine stops threads there)
    uint64_t seed = 1;     // weight values
};

// The GGUF file's bytes.
std::vector<uint8_t> tiny_model_bytes(const tiny_model_options & o = {});
// The file written to a temporary path, loaded on one kernel thread (the file is removed once
// mapped). REQUIRES (checked): it loads.
std::unique_ptr<model::decoder> make_tiny_decoder(const tiny_model_options & o = {});

}  // namespace tts::testing
