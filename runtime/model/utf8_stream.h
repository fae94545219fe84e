// utf8_stream: joins detokenized bytes into whole UTF-8 characters for streaming output.
//
// Byte-level tokens can end in the middle of a multi-byte character (an emoji is often two or
// three byte tokens). push() returns everything up to the last complete character and holds
// back a valid-but-unfinished tail (at most 3 bytes) until the next push; invalid bytes are
// passed through unchanged, never held. flush() returns whatever is held at end of stream.
// One stream per output (per reasoning thread); not thread-safe.
//
//   utf8_stream s;
//   for (token_id id : ids) out += s.push(tok.piece(id));
//   out += s.flush();
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace tts::model {

// Length of the valid UTF-8 character that starts `s`: 1..4, or 0 when `s` is empty, starts
// with an invalid byte, or is cut short. Overlong forms, surrogates and > U+10FFFF are invalid.
size_t utf8_sequence_length(std::string_view s);

// How many trailing bytes of `s` are the valid start of a character that is not finished (0..3).
size_t utf8_incomplete_tail(std::string_view s);

class utf8_stream {
public:
    // Appends `bytes`; returns the held-back bytes plus `bytes`, minus an unfinished tail.
    std::string push(std::string_view bytes);
    // Returns the held-back bytes (possibly an invalid fragment) and empties the stream.
    std::string flush();
    bool has_pending() const { return !pending_.empty(); }

private:
    std::string pending_;  // an unfinished character, at most 3 bytes
};

}  // namespace tts::model
