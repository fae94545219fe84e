// extract: every answer statement of a completion, read from the last one back.
#include "strategies/answer/extract.h"

#include <algorithm>
#include <vector>

#include "strategies/answer/normalize.h"
#include "strategies/answer/numbers.h"

namespace tts::strategy {
namespace {

constexpr std::string_view k_think_end = "</think>";

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

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
    std::string_view t = trim(rest.substr(0, rest.find_first_of("$\n")));
    if (t.empty()) return std::nullopt;
    return std::string(t);
}

struct statement {
    size_t pos = 0;  // where its keyword starts
    extract_rule rule = extract_rule::boxed;
    std::string body;
};

void add_boxes(std::string_view text, std::vector<statement> & out) {
    for (std::string_view kw : {std::string_view("\\boxed"), std::string_view("\\fbox")})
        for (size_t p = text.find(kw); p != std::string_view::npos; p = text.find(kw, p + 1))
            if (std::optional<std::string> c = box_content(text, p + kw.size()); c && !trim(*c).empty())
                out.push_back({p, extract_rule::boxed, std::string(trim(*c))});
}

// The statement after an anchor: the rest of its sentence, or the next non-empty line when the
// anchor ends its line ("**Final Answer**\n42"). A sentence ends at a newline, '!', '?', or a
// '.' that is not a decimal point ("18. She ..." -> "18"; "3.5" is kept).
std::string sentence_after(std::string_view text, size_t pos) {
    std::string_view rest = text.substr(pos);
    while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t' || rest.front() == ':' || rest.front() == '*' ||
                             rest.front() == '=' || rest.front() == '#'))
        rest.remove_prefix(1);
    std::string_view line = trim(rest.substr(0, rest.find('\n')));
    if (line.empty()) {
        rest = trim(rest);
        line = trim(rest.substr(0, rest.find('\n')));
    }
    for (size_t i = 0; i < line.size(); ++i) {
        const bool is_period_end = line[i] == '.' && (i + 1 == line.size() || !is_digit(line[i + 1]));
        if (is_period_end || line[i] == '!' || line[i] == '?') return std::string(line.substr(0, i));
    }
    return std::string(line);
}

void add_anchors(std::string_view text, std::vector<statement> & out) {
    const std::string lowered = lower(text);
    const std::pair<std::string_view, extract_rule> anchors[] = {
        {"answer is", extract_rule::answer_is}, {"answer:", extract_rule::answer_colon}, {"final answer", extract_rule::final_answer}};
    for (const auto & [anchor, rule] : anchors) {
        for (size_t p = lowered.find(anchor); p != std::string::npos; p = lowered.find(anchor, p + 1)) {
            const size_t after = p + anchor.size();
            // "answer isn't", "final answers": not this anchor.
            if (is_alpha(anchor.back()) && after < lowered.size() && (is_alpha(lowered[after]) || lowered[after] == '\''))
                continue;
            out.push_back({p, rule, sentence_after(text, after)});
        }
    }
}

void add_hashes(std::string_view text, std::vector<statement> & out) {
    for (size_t p = text.find("####"); p != std::string_view::npos; p = text.find("####", p + 4)) {
        std::string_view rest = text.substr(p + 4);
        out.push_back({p, extract_rule::hash, std::string(trim(rest.substr(0, rest.find('\n'))))});
    }
}

// yes_no / choice: the statement's first word.
reading read_word(std::string_view body, const extract_options & opt) {
    const std::string plain = plain_math(body);
    size_t i = 0;
    auto skip = [&] {
        while (i < plain.size() && !is_alpha(plain[i]) && plain[i] != '(') ++i;
    };
    skip();
    bool is_bracketed = false;
    if (i < plain.size() && plain[i] == '(') { is_bracketed = true; ++i; }
    size_t e = i;
    while (e < plain.size() && is_alpha(plain[e])) ++e;
    std::string word = lower(std::string_view(plain).substr(i, e - i));
    if (opt.type == answer_type::yes_no) {
        if (word == "yes" || word == "no") return {reading_kind::word, word};
        return {};
    }
    if ((word == "option" || word == "choice" || word == "letter") && !is_bracketed) {
        i = e;
        skip();
        if (i < plain.size() && plain[i] == '(') { is_bracketed = true; ++i; }
        e = i;
        while (e < plain.size() && is_alpha(plain[e])) ++e;
    }
    if (e != i + 1) return {};
    const char upper = static_cast<char>(plain[i] >= 'a' && plain[i] <= 'z' ? plain[i] - 'a' + 'A' : plain[i]);
    const bool is_closed = !is_bracketed || (e < plain.size() && plain[e] == ')');
    if (opt.choices.find(upper) == std::string_view::npos || !is_closed || (!is_bracketed && plain[i] != upper)) return {};
    return {reading_kind::word, std::string(1, upper)};
}

// Whether the segment decided (an answer, or an abstention), and the answer.
struct outcome {
    bool is_decided = false;
    std::optional<extracted_answer> answer;
};

outcome extract_from(std::string_view text, bool is_after_think, const extract_options & opt) {
    std::vector<statement> found;
    add_boxes(text, found);
    add_hashes(text, found);
    add_anchors(text, found);
    std::stable_sort(found.begin(), found.end(), [](const statement & a, const statement & b) { return a.pos < b.pos; });
    for (auto it = found.rbegin(); it != found.rend(); ++it) {
        const reading r = opt.type == answer_type::numeric ? read_statement(it->body) : read_word(it->body, opt);
        if (r.kind == reading_kind::none) continue;
        if (r.kind == reading_kind::multiple) return {true, std::nullopt};
        return {true, extracted_answer{r.text, it->rule, is_after_think}};
    }
    if (opt.type != answer_type::numeric || opt.is_truncated) return {};
    if (std::optional<std::string> n = try_last_number(text)) return {true, extracted_answer{*n, extract_rule::last_number, is_after_think}};
    return {};
}

}  // namespace

std::optional<std::string> try_extract_boxed(std::string_view text) {
    std::vector<statement> boxes;
    add_boxes(text, boxes);
    if (boxes.empty()) return std::nullopt;
    return std::max_element(boxes.begin(), boxes.end(), [](const statement & a, const statement & b) { return a.pos < b.pos; })->body;
}

std::optional<extracted_answer> try_extract_answer(std::string_view completion, const extract_options & opt) {
    size_t think_end = completion.rfind(k_think_end);
    if (think_end != std::string_view::npos) {
        outcome o = extract_from(completion.substr(think_end + k_think_end.size()), true, opt);
        if (o.is_decided) return o.answer;
    }
    return extract_from(completion, false, opt).answer;
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
