// tokenizer, SentencePiece half: spaces become U+2581, then adjacent symbols whose
// concatenation is a token merge highest score first (leftmost on ties); symbols that are not
// tokens fall back to <0xNN> byte tokens, or to unk when the vocab has none.
#include <algorithm>
#include <queue>

#include "runtime/model/tokenizer.h"
#include "runtime/model/utf8_stream.h"

namespace tts::model {
namespace {

struct symbol {
    size_t begin = 0;
    size_t len = 0;     // 0 once merged into its left neighbour
    int prev = -1;
    int next = -1;
};

struct candidate {
    float score;
    int left;
    int right;
    size_t len;         // bytes of the merged text; a stale candidate no longer adds up
    bool operator<(const candidate & o) const { return score != o.score ? score < o.score : left > o.left; }
};

std::string escape_spaces(std::string_view text, bool add_space) {
    std::string out;
    out.reserve(text.size() + 3);
    if (add_space) out += "\xE2\x96\x81";
    for (char c : text) {
        if (c == ' ') out += "\xE2\x96\x81";
        else out += c;
    }
    return out;
}

}  // namespace

void tokenizer::encode_spm(std::string_view raw, bool add_space, std::vector<token_id> & out) const {
    const std::string text = escape_spaces(raw, add_space);
    if (text.empty()) return;
    std::vector<symbol> syms;
    for (size_t i = 0; i < text.size();) {
        const size_t n = std::max<size_t>(1, utf8_sequence_length(std::string_view(text).substr(i)));
        const int idx = static_cast<int>(syms.size());
        syms.push_back({i, n, idx - 1, i + n < text.size() ? idx + 1 : -1});
        i += n;
    }
    auto sym_text = [&](const symbol & s, size_t len) { return std::string_view(text).substr(s.begin, len); };

    std::priority_queue<candidate> queue;
    auto try_queue = [&](int l, int r) {
        if (l < 0 || r < 0) return;
        const size_t len = syms[l].len + syms[r].len;
        if (auto id = find_token(sym_text(syms[l], len))) {
            const float score = vocab_.scores.empty() ? 0.0f : vocab_.scores[*id];
            queue.push({score, l, r, len});
        }
    };
    for (int i = 0; i + 1 < static_cast<int>(syms.size()); ++i) try_queue(i, i + 1);

    while (!queue.empty()) {
        const candidate c = queue.top();
        queue.pop();
        symbol & l = syms[c.left];
        symbol & r = syms[c.right];
        if (l.len == 0 || r.len == 0 || l.next != c.right || l.len + r.len != c.len) continue;
        l.len += r.len;
        r.len = 0;
        l.next = r.next;
        if (r.next >= 0) syms[r.next].prev = c.left;
        try_queue(l.prev, c.left);
        try_queue(c.left, l.next);
    }

    for (int i = 0; i >= 0; i = syms[i].next) {
        const std::string_view piece = sym_text(syms[i], syms[i].len);
        if (auto id = find_token(piece)) { out.push_back(*id); continue; }
        for (char c : piece) {
            const token_id b = byte_ids_[static_cast<uint8_t>(c)];
            if (b != no_token) out.push_back(b);
            else if (vocab_.unk != no_token) out.push_back(vocab_.unk);
        }
    }
}

}  // namespace tts::model
