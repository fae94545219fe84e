// extract: boxed-first answer extraction with phrase and last-number fallbacks.
#include "strategies/answer/extract.h"

#include <algorithm>
#include <cctype>
#include <vector>

#include "strategies/answer/normalize.h"

namespace tts::strategy {
namespace {

constexpr std::string_view k_think_end = "</think>";

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char & c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

// Qwen's post-clean: newlines out, no leading ':' or markdown emphasis, no trailing '.' or '/'.
std::string clean(std::string_view s) {
    std::string out;
    for (char c : s) out += (c == '\n' || c == '\r') ? ' ' : c;
    std::string_view v = trim(out);
    while (!v.empty() && (v.front() == ':' || v.front() == '*' || is_space(v.front()))) v.remove_prefix(1);
    while (!v.empty() && (v.back() == '.' || v.back() == '/' || v.back() == '*' || is_space(v.back()))) v.remove_suffix(1);
    return std::string(v);
}

// Content of the box whose keyword ends at `after` ("\boxed{...}" or "\boxed 5$"), or nullopt.
std::optional<std::string> box_content(std::string_view text, size_t after) {
    size_t i = after;
    if (i < text.size() && text[i] == '{') {
        int depth = 0;
        for (size_t j = i; j < text.size(); ++j) {
            if (text[j] == '{') ++depth;
            else if (text[j] == '}' && --depth == 0) return std::string(text.substr(i + 1, j - i - 1));
        }
        return std::nullopt;  // truncated box
    }
    if (i >= text.size() || text[i] != ' ') return std::nullopt;
    std::string_view rest = text.substr(i);
    rest = rest.substr(0, rest.find_first_of("$\n"));
    std::string_view t = trim(rest);
    if (t.empty()) return std::nullopt;
    return std::string(t);
}

std::optional<std::string> rule_boxed(std::string_view text) {
    std::vector<std::pair<size_t, size_t>> hits;  // (keyword start, keyword end)
    for (std::string_view kw : {std::string_view("\\boxed"), std::string_view("\\fbox")})
        for (size_t p = text.find(kw); p != std::string_view::npos; p = text.find(kw, p + 1)) hits.emplace_back(p, p + kw.size());
    std::sort(hits.begin(), hits.end());
    for (auto it = hits.rbegin(); it != hits.rend(); ++it) {
        std::optional<std::string> c = box_content(text, it->second);
        if (c && !trim(*c).empty()) return std::string(trim(*c));
    }
    return std::nullopt;
}

// The answer written after an anchor phrase: rest of the sentence, or the next line when the
// anchor ends its line ("**Final Answer**\n42").
std::optional<std::string> phrase_capture(std::string_view text, size_t pos) {
    std::string_view rest = text.substr(pos);
    while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t' || rest.front() == ':' || rest.front() == '*' ||
                             rest.front() == '=' || rest.front() == '#'))
        rest.remove_prefix(1);
    std::string_view line = trim(rest.substr(0, rest.find('\n')));
    if (line.empty()) {
        rest = trim(rest);
        line = trim(rest.substr(0, rest.find('\n')));
    }
    if (std::optional<std::string> b = rule_boxed(line)) return b;
    if (line.size() >= 2 && line.front() == '$') {
        size_t close = line.find('$', 1);
        if (close != std::string_view::npos && close > 1) return clean(line.substr(1, close - 1));
    }
    // End of sentence: a period followed by whitespace ("18. She ..." -> "18"; "3.5" is kept).
    // A comma before words ends the answer too ("18, because ..."); "(1, 2)" is kept.
    for (size_t i = 0; i + 1 < line.size(); ++i) {
        bool is_period_end = line[i] == '.' && is_space(line[i + 1]);
        bool is_comma_end = line[i] == ',' && is_space(line[i + 1]) && i + 2 < line.size() && std::isalpha(static_cast<unsigned char>(line[i + 2]));
        if (is_period_end || is_comma_end) { line = line.substr(0, i); break; }
    }
    std::string c = clean(line);
    if (c.empty()) return std::nullopt;
    return c;
}

std::optional<std::string> rule_phrase(std::string_view text, const std::string & lowered, std::string_view anchor) {
    size_t p = lowered.rfind(anchor);
    if (p == std::string::npos) return std::nullopt;
    return phrase_capture(text, p + anchor.size());
}

std::optional<std::string> rule_hash(std::string_view text) {
    size_t p = text.rfind("####");
    if (p == std::string_view::npos) return std::nullopt;
    std::string_view rest = text.substr(p + 4);
    std::string c = clean(rest.substr(0, rest.find('\n')));
    if (c.empty()) return std::nullopt;
    return c;
}

bool is_number_token(std::string_view t) { return try_parse_double(normalize(t)).has_value(); }

std::optional<std::string> rule_last_number(std::string_view text) {
    size_t end = text.size();
    while (end > 0) {
        while (end > 0 && !is_digit(text[end - 1])) --end;
        if (end == 0) break;
        size_t begin = end;
        while (begin > 0 && (is_digit(text[begin - 1]) || text[begin - 1] == ',' || text[begin - 1] == '.' || text[begin - 1] == '/'))
            --begin;
        std::string_view run = text.substr(begin, end - begin);
        while (!run.empty() && !is_digit(run.front())) { run.remove_prefix(1); ++begin; }
        // Shrink from the left at separators until the run is one number ("1,2,3" -> "3").
        while (!run.empty() && !is_number_token(run)) {
            size_t cut = run.find_first_of(",./");
            if (cut == std::string_view::npos) break;
            begin += cut + 1;
            run.remove_prefix(cut + 1);
        }
        if (!run.empty() && is_number_token(run)) {
            bool is_signed = begin > 0 && text[begin - 1] == '-' && (begin < 2 || !is_digit(text[begin - 2]));
            return is_signed ? "-" + std::string(run) : std::string(run);
        }
        end = begin;
    }
    return std::nullopt;
}

// A phrase rule captured prose ("that Tom has 15 apples"): for math answers the number in it is
// the answer — its last number, since working comes before the result ("3 + 5 = 8 apples").
// A phrase with no number (a word answer) is kept as it is.
bool has_prose_word(std::string_view s) {   // a run of 3+ letters that is not a LaTeX command
    for (size_t i = 0; i < s.size();) {
        size_t j = i;
        while (j < s.size() && std::isalpha(static_cast<unsigned char>(s[j]))) ++j;
        if (j - i >= 3 && (i == 0 || s[i - 1] != '\\')) return true;
        i = j == i ? i + 1 : j;
    }
    return false;
}

std::optional<std::string> prefer_number(std::optional<std::string> phrase) {
    if (!phrase) return phrase;
    // A worked equation ("The answer is 32 + 42 - 35 = 39."): its last right-hand side.
    if (size_t eq = phrase->rfind('='); eq != std::string::npos) {
        const std::string_view rhs = trim(std::string_view(*phrase).substr(eq + 1));
        if (!rhs.empty()) phrase = std::string(rhs);
    }
    if (!has_prose_word(*phrase)) return phrase;
    if (auto n = rule_last_number(*phrase)) return n;
    return phrase;
}

std::optional<extracted_answer> extract_from(std::string_view text, bool is_after_think) {
    std::string lowered = lower(text);
    auto found = [&](std::optional<std::string> a, extract_rule r) -> std::optional<extracted_answer> {
        if (!a || a->empty()) return std::nullopt;
        return extracted_answer{std::move(*a), r, is_after_think};
    };
    if (auto a = found(rule_boxed(text), extract_rule::boxed)) return a;
    if (auto a = found(rule_hash(text), extract_rule::hash)) return a;
    if (auto a = found(prefer_number(rule_phrase(text, lowered, "answer is")), extract_rule::answer_is)) return a;
    if (auto a = found(prefer_number(rule_phrase(text, lowered, "answer:")), extract_rule::answer_colon)) return a;
    if (auto a = found(prefer_number(rule_phrase(text, lowered, "final answer")), extract_rule::final_answer)) return a;
    return found(rule_last_number(text), extract_rule::last_number);
}

}  // namespace

std::optional<std::string> try_extract_boxed(std::string_view text) { return rule_boxed(text); }

std::optional<extracted_answer> try_extract_answer(std::string_view completion) {
    size_t think_end = completion.rfind(k_think_end);
    if (think_end != std::string_view::npos) {
        if (auto a = extract_from(completion.substr(think_end + k_think_end.size()), true)) return a;
    }
    return extract_from(completion, false);
}

const char * to_string(extract_rule r) {
    switch (r) {
        case extract_rule::boxed: return "boxed";
        case extract_rule::hash: return "hash";
        case extract_rule::answer_is: return "answer_is";
        case extract_rule::answer_colon: return "answer_colon";
        case extract_rule::final_answer: return "final_answer";
        case extract_rule::last_number: return "last_number";
    }
    return "unknown";
}

}  // namespace tts::strategy
