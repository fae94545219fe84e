// tiny_model: a random-weight llama GGUF small enough to build inside a test (no download).
//
// One layer, n_embd 32, two heads (one KV head), F32 weights drawn from a fixed seed, and a
// byte-level BPE vocabulary of the 256 bytes (so any text tokenizes to one token per byte),
// one merge ("~ ~") and the ChatML markers <|im_start|>, <|im_end|>, <|endoftext|> (EOS). The
// logits are nearly flat, so sampled threads are diverse and every token, EOS included, turns
// up now and then. Test-only code.
#pragma once

#include <cstdint>
#include <string>

namespace tts::testing {

// Writes the model to `path` (overwriting it); returns path.
std::string write_tiny_llama(const std::string & path, uint64_t seed = 1);

}  // namespace tts::testing
