// utf8_stream: strict UTF-8 sequence checks and the hold-back buffer.
#include "runtime/model/utf8_stream.h"

#include <cstdint>

namespace tts::model {
namespace {

enum class seq_state { complete, incomplete, invalid };

// Classifies the character starting at s[0]; on complete, `len` is its length.
seq_state classify(std::string_view s, size_t & len) {
    const auto b0 = static_cast<uint8_t>(s[0]);
    uint8_t lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (b0 < 0x80) { len = 1; return seq_state::complete; }
    if (b0 >= 0xC2 && b0 <= 0xDF) len = 2;
    else if (b0 >= 0xE0 && b0 <= 0xEF) len = 3;
    else if (b0 >= 0xF0 && b0 <= 0xF4) len = 4;
    else return seq_state::invalid;
    if (b0 == 0xE0) lo = 0xA0;       // overlong
    if (b0 == 0xED) hi = 0x9F;       // surrogates
    if (b0 == 0xF0) lo = 0x90;       // overlong
    if (b0 == 0xF4) hi = 0x8F;       // > U+10FFFF
    for (size_t i = 1; i < len; ++i) {
        if (i >= s.size()) return seq_state::incomplete;
        const auto b = static_cast<uint8_t>(s[i]);
        const uint8_t l = i == 1 ? lo : 0x80, h = i == 1 ? hi : 0xBF;
        if (b < l || b > h) return seq_state::invalid;
    }
    return seq_state::complete;
}

}  // namespace

size_t utf8_sequence_length(std::string_view s) {
    size_t len = 0;
    if (s.empty() || classify(s, len) != seq_state::complete) return 0;
    return len;
}

size_t utf8_incomplete_tail(std::string_view s) {
    // Only a lead byte within the last 3 bytes can start an unfinished character.
    for (size_t back = 1; back <= 3 && back <= s.size(); ++back) {
        const auto b = static_cast<uint8_t>(s[s.size() - back]);
        if ((b & 0xC0) == 0x80) continue;  // continuation byte: look further back
        size_t len = 0;
        return classify(s.substr(s.size() - back), len) == seq_state::incomplete ? back : 0;
    }
    return 0;
}

std::string utf8_stream::push(std::string_view bytes) {
    pending_.append(bytes);
    const size_t hold = utf8_incomplete_tail(pending_);
    std::string out = pending_.substr(0, pending_.size() - hold);
    pending_.erase(0, pending_.size() - hold);
    return out;
}

std::string utf8_stream::flush() {
    std::string out;
    out.swap(pending_);
    return out;
}

}  // namespace tts::model
