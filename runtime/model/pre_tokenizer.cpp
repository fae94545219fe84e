// pre_tokenizer: the regex tables per tokenizer.ggml.pre name and the PCRE2 splitting loop.
//
// The patterns are the ones the models' tokenizer.json files declare, in the order llama.cpp
// applies them (llama.cpp rewrites a few to work around std::regex; PCRE2 runs the originals).
#define PCRE2_CODE_UNIT_WIDTH 8
#include "runtime/model/pre_tokenizer.h"

#include <pcre2.h>

#include <algorithm>
#include <utility>

#include "runtime/model/utf8_stream.h"

namespace tts::model {
namespace {

// GPT-2's pattern. Used alone by "gpt2", after a digit split by "smollm" and friends.
constexpr const char * k_gpt2 =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S))";
// Llama 3 (tiktoken cl100k style): numbers in groups of up to three.
constexpr const char * k_llama3 =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
// Qwen2: as Llama 3 but every digit on its own.
constexpr const char * k_qwen2 =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
// Mistral tekken: case-aware words.
constexpr const char * k_tekken =
    R"([^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

struct named_patterns {
    std::string_view name;
    std::vector<const char *> patterns;
};

const std::vector<named_patterns> & table() {
    static const std::vector<named_patterns> t = {
        {"default", {R"([\p{P}\$\+<=>\^~\|]+)", k_gpt2, R"(\p{N}+)", "[0-9][0-9][0-9]"}},
        {"gpt2", {k_gpt2}},
        {"gpt-2", {k_gpt2}},
        {"llama3", {k_llama3}},
        {"llama-bpe", {k_llama3}},
        {"llama-v3", {k_llama3}},
        {"smaug-bpe", {k_llama3}},
        {"dbrx", {k_llama3}},
        {"qwen2", {k_qwen2}},
        {"deepseek-r1-qwen", {k_qwen2}},
        {"stablelm2", {k_qwen2}},
        // SmolLM splits every digit first, then applies GPT-2's pattern to each piece.
        {"smollm", {R"(\p{N})", k_gpt2}},
        {"starcoder", {R"(\p{N})", k_gpt2}},
        {"refact", {R"(\p{N})", k_gpt2}},
        {"command-r", {R"(\p{N})", k_gpt2}},
        {"tekken", {k_tekken}},
    };
    return t;
}

struct piece {
    std::string_view text;
    bool is_splittable;  // false for a lone invalid byte
};

// Pieces of valid UTF-8, with each invalid byte isolated.
std::vector<piece> split_invalid_utf8(std::string_view text) {
    std::vector<piece> out;
    size_t run = 0, i = 0;
    while (i < text.size()) {
        const size_t n = utf8_sequence_length(text.substr(i));
        if (n > 0) { i += n; continue; }
        if (i > run) out.push_back({text.substr(run, i - run), true});
        out.push_back({text.substr(i, 1), false});
        run = ++i;
    }
    if (i > run) out.push_back({text.substr(run, i - run), true});
    return out;
}

}  // namespace

struct pre_tokenizer::compiled {
    pcre2_code * code = nullptr;
    ~compiled() { pcre2_code_free(code); }

    // Appends to `out` the matches of this pattern in `p` and the gaps between them.
    void split(piece p, std::vector<piece> & out) const {
        pcre2_match_data * md = pcre2_match_data_create_from_pattern(code, nullptr);
        const auto * subject = reinterpret_cast<PCRE2_SPTR>(p.text.data());
        size_t pos = 0, emitted = 0;
        while (pos < p.text.size()) {
            const int rc = pcre2_match(code, subject, p.text.size(), pos, PCRE2_NO_UTF_CHECK, md, nullptr);
            if (rc < 0) break;  // no further match (or a match-limit error: keep the rest whole)
            const PCRE2_SIZE * ov = pcre2_get_ovector_pointer(md);
            const size_t b = ov[0], e = ov[1];
            if (e == b) {  // an empty match splits nothing; step one character on
                pos = b + std::max<size_t>(1, utf8_sequence_length(p.text.substr(b)));
                continue;
            }
            if (b > emitted) out.push_back({p.text.substr(emitted, b - emitted), true});
            out.push_back({p.text.substr(b, e - b), true});
            emitted = pos = e;
        }
        if (emitted < p.text.size()) out.push_back({p.text.substr(emitted), true});
        pcre2_match_data_free(md);
    }
};

result<pre_tokenizer> pre_tokenizer::create(std::string_view name) {
    const named_patterns * found = nullptr;
    for (const named_patterns & np : table()) {
        if (np.name == name) found = &np;
    }
    if (!found) return status::invalid_argument("tokenizer.ggml.pre: unknown pre-tokenizer \"" + std::string(name) + "\"");
    pre_tokenizer p;
    p.name_ = std::string(name);
    for (const char * pattern : found->patterns) {
        int err = 0;
        PCRE2_SIZE err_off = 0;
        pcre2_code * code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern), PCRE2_ZERO_TERMINATED,
                                          PCRE2_UTF | PCRE2_UCP, &err, &err_off, nullptr);
        if (!code) {
            PCRE2_UCHAR msg[256];
            pcre2_get_error_message(err, msg, sizeof msg);
            return status::invalid_argument("pre-tokenizer \"" + p.name_ + "\": pattern rejected at " +
                                            std::to_string(err_off) + ": " + reinterpret_cast<const char *>(msg));
        }
        pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);  // best effort: the interpreter is the fallback
        auto c = std::make_shared<compiled>();
        c->code = code;
        p.patterns_.push_back(std::move(c));
    }
    return p;
}

std::vector<std::string_view> pre_tokenizer::split(std::string_view text) const {
    std::vector<piece> pieces = split_invalid_utf8(text);
    std::vector<piece> next;
    for (const auto & pattern : patterns_) {
        next.clear();
        for (const piece & p : pieces) {
            if (p.is_splittable) pattern->split(p, next);
            else next.push_back(p);
        }
        std::swap(pieces, next);
    }
    std::vector<std::string_view> out;
    out.reserve(pieces.size());
    for (const piece & p : pieces) out.push_back(p.text);
    return out;
}

}  // namespace tts::model
