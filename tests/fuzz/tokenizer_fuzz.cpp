// Fuzz target: tokenizer + pre-tokenizer + utf8_stream on arbitrary bytes.
// Input: byte 0 picks the tokenizer (byte-level BPE under one of the pre-tokenizers, or
// SentencePiece) and whether special-token text is parsed; the rest is the text.
// Oracles, beyond "no crash": pre-tokenizer pieces concatenate back to the text; with every
// byte in the vocab and specials off, byte-level BPE round-trips exactly; utf8_stream returns
// every byte it was given, in order.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "runtime/model/pre_tokenizer.h"
#include "runtime/model/utf8_stream.h"
#include "tests/fuzz/fuzz_vocab.h"

using namespace tts;

namespace {
void require(bool ok, const char * what) {
    if (ok) return;
    std::fprintf(stderr, "tokenizer_fuzz: oracle failed: %s\n", what);
    std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t * data, size_t size) {
    if (size == 0) return 0;
    const uint8_t sel = data[0];
    const std::string_view text(reinterpret_cast<const char *>(data + 1), size - 1);
    const bool parse_special = sel & 0x80;
    const auto & names = fuzz::pre_tokenizer_names();
    const size_t pick = size_t(sel & 0x7f) % (names.size() + 1);

    if (pick == names.size()) {
        const model::tokenizer & spm = fuzz::byte_spm();
        const std::vector<model::token_id> ids = spm.encode(text, parse_special, true);
        for (model::token_id id : ids) require(id >= 0 && id < spm.n_tokens(), "spm id in range");
        (void)spm.decode(ids, true);
        return 0;
    }
    const std::string_view pre_name = names[pick];
    auto pre = model::pre_tokenizer::create(pre_name);
    require(pre.is_ok(), "known pre-tokenizer");
    std::string joined;
    for (std::string_view piece : pre->split(text)) joined += piece;
    require(joined == text, "pre-tokenizer pieces concatenate to the text");

    const model::tokenizer & bpe = fuzz::byte_bpe(pre_name);
    const std::vector<model::token_id> ids = bpe.encode(text, parse_special, false);
    for (model::token_id id : ids) require(id >= 0 && id < bpe.n_tokens(), "bpe id in range");
    require(bpe.decode(ids, /*render_control=*/true) == text, "byte-level BPE round-trips");

    model::utf8_stream stream;
    std::string streamed;
    for (model::token_id id : ids) streamed += stream.push(bpe.piece(id, true));
    streamed += stream.flush();
    require(streamed == text, "utf8_stream loses no byte");
    return 0;
}
