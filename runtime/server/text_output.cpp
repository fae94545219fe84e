// text_output: UTF-8 joining, stop-sequence hold-back and cut, sanitising.
#include "runtime/server/text_output.h"

#include <algorithm>

namespace tts::server {

std::string utf8_sanitize(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    size_t i = 0;
    while (i < s.size()) {
        const size_t n = model::utf8_sequence_length(s.substr(i));
        if (n == 0) {
            out += "\xEF\xBF\xBD";
            ++i;
        } else {
            out.append(s.substr(i, n));
            i += n;
        }
    }
    return out;
}

std::string text_output::take(size_t n) {
    std::string out = held_.substr(0, n);
    held_.erase(0, n);
    text_ += out;
    return out;
}

std::string text_output::push(std::string_view piece) {
    if (is_stopped_) return {};
    held_ += utf8_sanitize(utf8_.push(piece));
    // The earliest complete stop sequence cuts the text there.
    size_t cut = std::string::npos;
    for (const std::string & s : stop_) cut = std::min(cut, held_.find(s));
    if (cut != std::string::npos) {
        is_stopped_ = true;
        std::string out = take(cut);
        held_.clear();
        return out;
    }
    // Hold back the longest tail that is a proper prefix of some stop sequence.
    size_t keep = 0;
    for (const std::string & s : stop_)
        for (size_t k = std::min(s.size() - 1, held_.size()); k > keep; --k)
            if (held_.compare(held_.size() - k, k, s, 0, k) == 0) {
                keep = k;
                break;
            }
    return take(held_.size() - keep);
}

std::string text_output::flush() {
    if (is_stopped_) return {};
    std::string out = push("");
    held_ += utf8_sanitize(utf8_.flush());
    return out + take(held_.size());
}

}  // namespace tts::server
