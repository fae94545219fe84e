// tokenizer: construction, special-token partition, BOS/EOS and decoding. The two merge
// algorithms live in bpe_tokenizer.cpp and spm_tokenizer.cpp.
#include "runtime/model/tokenizer.h"

#include <algorithm>
#include <cstdio>

#include "runtime/model/byte_level.h"
#include "runtime/model/gguf_file.h"

namespace tts::model {
namespace {

// One piece of the input after the special-token partition: raw text, or a special token.
struct fragment {
    std::string_view text;
    token_id special = no_token;
};

// Parses "<0xNN>"; -1 when `text` is not a byte token.
int parse_byte_token(std::string_view text) {
    if (text.size() != 6 || text.substr(0, 3) != "<0x" || text[5] != '>') return -1;
    unsigned v = 0;
    if (std::sscanf(std::string(text.substr(3, 2)).c_str(), "%2x", &v) != 1) return -1;
    return static_cast<int>(v);
}

// SentencePiece marks spaces with U+2581; decoding turns them back.
std::string unescape_spaces(std::string_view s) {
    constexpr std::string_view mark = "\xE2\x96\x81";
    std::string out;
    out.reserve(s.size());
    for (size_t pos = 0; pos < s.size();) {
        if (s.substr(pos, mark.size()) == mark) { out += ' '; pos += mark.size(); }
        else out += s[pos++];
    }
    return out;
}

}  // namespace

result<tokenizer> tokenizer::create(vocab v, std::string_view name) {
    if (status s = v.validate(name); !s.is_ok()) return s;
    tokenizer t;
    t.vocab_ = std::move(v);
    if (status s = t.init(name); !s.is_ok()) return s;
    return t;
}

result<tokenizer> tokenizer::from_gguf(const gguf_file & file) {
    auto v = vocab::from_gguf(file);
    if (!v) return v.error();
    return create(std::move(v).value(), file.path());
}

status tokenizer::init(std::string_view name) {
    const vocab & v = vocab_;
    token_ids_.reserve(v.tokens.size());
    // On duplicate texts the lowest id wins, as in llama.cpp's token_to_id map.
    for (token_id id = v.n_tokens() - 1; id >= 0; --id) token_ids_[v.tokens[id]] = id;

    if (v.kind == vocab_kind::bpe) {
        auto pre = pre_tokenizer::create(v.pre);
        if (!pre) return status::invalid_argument(std::string(name) + ": " + pre.error().message());
        pre_ = std::move(pre).value();
        is_ignore_merges_ = v.pre == "llama3" || v.pre == "llama-bpe" || v.pre == "llama-v3" || v.pre == "tekken";
        merge_ranks_.reserve(v.merges.size());
        for (size_t i = 0; i < v.merges.size(); ++i) merge_ranks_.try_emplace(v.merges[i], static_cast<int32_t>(i));
    }

    byte_ids_.fill(no_token);
    for (token_id id = 0; id < v.n_tokens(); ++id) {
        const token_type t = v.type_of(id);
        if (t == token_type::byte) {
            const int b = parse_byte_token(v.tokens[id]);
            if (b >= 0 && byte_ids_[b] == no_token) byte_ids_[b] = id;
        }
        const bool is_special = t == token_type::control || t == token_type::user_defined || t == token_type::unknown;
        if (is_special && !v.tokens[id].empty()) specials_.push_back(id);
    }
    std::stable_sort(specials_.begin(), specials_.end(), [&](token_id a, token_id b) {
        return v.tokens[a].size() > v.tokens[b].size();
    });

    pieces_.reserve(v.tokens.size());
    for (token_id id = 0; id < v.n_tokens(); ++id) pieces_.push_back(make_piece(id));
    return status::ok();
}

std::string tokenizer::make_piece(token_id id) const {
    const std::string & text = vocab_.tokens[id];
    switch (vocab_.type_of(id)) {
    case token_type::control:
    case token_type::unknown:
    case token_type::user_defined:
        return text;
    case token_type::byte:
        if (int b = parse_byte_token(text); b >= 0) return std::string(1, static_cast<char>(b));
        return text;
    default:
        break;
    }
    if (vocab_.kind == vocab_kind::spm) return unescape_spaces(text);
    std::optional<std::string> raw = byte_level_decode(text);
    return raw ? *raw : text;
}

std::vector<token_id> tokenizer::encode(std::string_view text, bool parse_special, bool add_special) const {
    std::vector<fragment> frags{{text, no_token}};
    std::vector<fragment> next;
    for (token_id sid : specials_) {
        const token_type t = vocab_.type_of(sid);
        if (!parse_special && t != token_type::user_defined) continue;
        const std::string & st = vocab_.tokens[sid];
        next.clear();
        for (const fragment & f : frags) {
            if (f.special != no_token) { next.push_back(f); continue; }
            size_t start = 0;
            for (size_t pos = f.text.find(st); pos != std::string_view::npos; pos = f.text.find(st, start)) {
                if (pos > start) next.push_back({f.text.substr(start, pos - start), no_token});
                next.push_back({{}, sid});
                start = pos + st.size();
            }
            if (start < f.text.size()) next.push_back({f.text.substr(start), no_token});
        }
        std::swap(frags, next);
    }

    std::vector<token_id> out;
    if (add_special && vocab_.add_bos) out.push_back(vocab_.bos);
    bool is_prev_special = true;  // spm: a fragment at the start or after a special gets a space
    for (const fragment & f : frags) {
        if (f.special != no_token) {
            out.push_back(f.special);
            is_prev_special = true;
            continue;
        }
        if (vocab_.kind == vocab_kind::bpe) {
            encode_bpe(f.text, out);
        } else {
            encode_spm(f.text, vocab_.add_space_prefix && is_prev_special, out);
        }
        is_prev_special = false;
    }
    if (add_special && vocab_.add_eos) out.push_back(vocab_.eos);
    return out;
}

const std::string & tokenizer::piece(token_id id, bool render_control) const {
    TTS_CHECK(id >= 0 && id < n_tokens(), "token id %d out of range [0, %d)", id, n_tokens());
    if (!render_control && is_control(id)) return empty_;
    return pieces_[id];
}

std::string tokenizer::decode(std::span<const token_id> ids, bool render_control) const {
    std::string out;
    bool is_first = true;
    for (token_id id : ids) {
        if (id < 0 || id >= n_tokens()) continue;
        const std::string & p = piece(id, render_control);
        const bool is_normal = !is_control(id) && vocab_.type_of(id) != token_type::user_defined;
        if (is_first && vocab_.kind == vocab_kind::spm && vocab_.add_space_prefix && is_normal && !p.empty() && p[0] == ' ') {
            out.append(p, 1);
        } else {
            out += p;
        }
        if (!p.empty()) is_first = false;
    }
    return out;
}

std::optional<token_id> tokenizer::find_token(std::string_view text) const {
    auto it = token_ids_.find(text);
    if (it == token_ids_.end()) return std::nullopt;
    return it->second;
}

bool tokenizer::is_control(token_id id) const {
    const token_type t = vocab_.type_of(id);
    return t == token_type::control || t == token_type::unknown;
}

}  // namespace tts::model
