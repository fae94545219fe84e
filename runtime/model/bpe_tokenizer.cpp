// tokenizer, byte-level BPE half: pre-tokenize, map bytes to GPT-2 characters, then apply
// merges lowest rank first (leftmost on ties) within each word, as llama.cpp does.
#include <algorithm>
#include <queue>

#include "runtime/model/byte_level.h"
#include "runtime/model/tokenizer.h"
#include "runtime/model/utf8_stream.h"

namespace tts::model {
namespace {

// A run of characters inside one word; merged symbols grow left, the right one empties.
struct symbol {
    size_t begin = 0;
    size_t len = 0;     // 0 once merged into its left neighbour
    int prev = -1;
    int next = -1;
};

// A candidate merge of symbols[left] and symbols[right] as they were when it was queued.
struct candidate {
    int32_t rank;
    int left;
    int right;
    size_t left_len;
    size_t right_len;
    bool operator>(const candidate & o) const { return rank != o.rank ? rank > o.rank : left > o.left; }
};

}  // namespace

void tokenizer::encode_bpe(std::string_view text, std::vector<token_id> & out) const {
    for (std::string_view word : pre_->split(text)) encode_bpe_word(byte_level_encode(word), out);
}

void tokenizer::encode_bpe_word(std::string_view word, std::vector<token_id> & out) const {
    if (word.empty()) return;
    if (is_ignore_merges_) {
        if (auto id = find_token(word)) { out.push_back(*id); return; }
    }
    // The word is byte-level encoded, hence valid UTF-8: one symbol per character.
    std::vector<symbol> syms;
    for (size_t i = 0; i < word.size();) {
        const size_t n = std::max<size_t>(1, utf8_sequence_length(word.substr(i)));
        const int idx = static_cast<int>(syms.size());
        syms.push_back({i, n, idx - 1, i + n < word.size() ? idx + 1 : -1});
        i += n;
    }

    std::priority_queue<candidate, std::vector<candidate>, std::greater<>> queue;
    std::string key;
    auto try_queue = [&](int l, int r) {
        if (l < 0 || r < 0) return;
        key.assign(word.substr(syms[l].begin, syms[l].len));
        key += ' ';
        key.append(word.substr(syms[r].begin, syms[r].len));
        auto it = merge_ranks_.find(key);
        if (it != merge_ranks_.end()) queue.push({it->second, l, r, syms[l].len, syms[r].len});
    };
    for (int i = 0; i + 1 < static_cast<int>(syms.size()); ++i) try_queue(i, i + 1);

    while (!queue.empty()) {
        const candidate c = queue.top();
        queue.pop();
        symbol & l = syms[c.left];
        symbol & r = syms[c.right];
        // Stale: one side has merged with something else since this candidate was queued.
        if (l.len != c.left_len || r.len != c.right_len || l.next != c.right) continue;
        l.len += r.len;
        r.len = 0;
        l.next = r.next;
        if (r.next >= 0) syms[r.next].prev = c.left;
        try_queue(l.prev, c.left);
        try_queue(c.left, l.next);
    }

    for (int i = 0; i >= 0; i = syms[i].next) {
        const std::string_view text = word.substr(syms[i].begin, syms[i].len);
        if (auto id = find_token(text)) { out.push_back(*id); continue; }
        // No token for the merged text (a vocab without every merge result): per character.
        for (size_t j = 0; j < text.size();) {
            const size_t n = std::max<size_t>(1, utf8_sequence_length(text.substr(j)));
            if (auto id = find_token(text.substr(j, n))) out.push_back(*id);
            j += n;
        }
    }
}

}  // namespace tts::model
