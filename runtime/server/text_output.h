// text_output: one choice's generated text as the client sees it — whole UTF-8 characters,
// stop sequences cut off, never an invalid byte.
//
// Tokens arrive one at a time; push() returns the text that is now safe to show: complete
// characters (model::utf8_stream), minus any tail that could still grow into a stop sequence.
// Once a stop sequence appears, the text is cut right before it and later tokens add nothing
// (OpenAI semantics: the stop sequence is not part of the output). flush() at the end returns
// what was held back. Invalid UTF-8 bytes (a model may emit them) become U+FFFD, so the JSON
// built from the text is always valid. One per choice; not thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "runtime/model/utf8_stream.h"

namespace tts::server {

class text_output {
public:
    explicit text_output(std::vector<std::string> stop = {}) : stop_(std::move(stop)) {}

    // Appends a token's bytes; returns the newly safe text (possibly empty).
    std::string push(std::string_view piece);
    // End of generation: returns everything still held back (nothing after a stop sequence).
    std::string flush();
    bool is_stopped() const { return is_stopped_; }
    // Everything returned so far.
    const std::string & text() const { return text_; }

private:
    std::string take(size_t n);

    std::vector<std::string> stop_;
    model::utf8_stream utf8_;
    std::string held_;     // complete characters not yet shown (could start a stop sequence)
    std::string text_;
    bool is_stopped_ = false;
};

// s with every invalid UTF-8 sequence replaced by U+FFFD.
std::string utf8_sanitize(std::string_view s);

}  // namespace tts::server
