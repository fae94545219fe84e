// numbers: a plain view of model text, number tokens, and the number a statement asserts.
#include "strategies/answer/numbers.h"

#include <algorithm>
#include <array>
#include <vector>

#include "strategies/answer/normalize.h"

namespace tts::strategy {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

void replace_all(std::string & s, std::string_view from, std::string_view to) {
    for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size())) s.replace(pos, from.size(), to);
}

// Replaces a LaTeX command only where it is not the prefix of a longer one (`\left`, not `\leftarrow`).
void replace_command(std::string & s, std::string_view cmd, std::string_view to) {
    for (size_t pos = s.find(cmd); pos != std::string::npos; pos = s.find(cmd, pos)) {
        size_t end = pos + cmd.size();
        if (end < s.size() && is_alpha(s[end])) { pos = end; continue; }
        s.replace(pos, cmd.size(), to);
        pos += to.size();
    }
}

size_t match_brace(std::string_view s, size_t open) {
    int depth = 0;
    for (size_t i = open; i < s.size(); ++i) {
        if (s[i] == '{') ++depth;
        else if (s[i] == '}' && --depth == 0) return i + 1;
    }
    return std::string_view::npos;
}

// `\cmd{X}` -> ` X ` for every balanced occurrence.
void unwrap_command(std::string & s, std::string_view cmd) {
    const std::string open = std::string(cmd) + "{";
    for (size_t pos = s.find(open); pos != std::string::npos; pos = s.find(open, pos)) {
        size_t brace = pos + cmd.size();
        size_t end = match_brace(s, brace);
        if (end == std::string::npos) break;
        s = s.substr(0, pos) + " " + s.substr(brace + 1, end - brace - 2) + " " + s.substr(end);
    }
}

bool is_plain_number_text(std::string_view s) {
    if (!s.empty() && s[0] == '-') s.remove_prefix(1);
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return is_digit(c) || c == '.' || c == ','; });
}

// `\frac{a}{b}` / `\frac ab` with plain numeric a, b -> " a/b" (a space first keeps "1\frac{1}{2}"
// a mixed number).
void plain_fractions(std::string & s) {
    for (size_t pos = s.find("\\frac"); pos != std::string::npos; pos = s.find("\\frac", pos + 1)) {
        size_t i = pos + 5;
        std::string parts[2];
        bool is_ok = true;
        for (std::string & part : parts) {
            if (i < s.size() && s[i] == '{') {
                size_t end = match_brace(s, i);
                if (end == std::string::npos) { is_ok = false; break; }
                part = s.substr(i + 1, end - i - 2);
                i = end;
            } else if (i < s.size() && is_digit(s[i])) {
                part = std::string(1, s[i++]);
            } else {
                is_ok = false;
                break;
            }
        }
        if (!is_ok || !is_plain_number_text(parts[0]) || !is_plain_number_text(parts[1])) continue;
        s = s.substr(0, pos) + " " + parts[0] + "/" + parts[1] + s.substr(i);
    }
}

enum class tok { number, word, symbol };

struct token {
    tok kind = tok::symbol;
    std::string text;  // number: canonical (normalize); word: lower case; symbol: the character
    size_t begin = 0;  // offset in the plain text
    bool is_plain = true;
};

size_t digit_run(std::string_view p, size_t i) {
    while (i < p.size() && is_digit(p[i])) ++i;
    return i;
}

// The end of the number starting at p[i] (see the header's grammar, sign and '%' excluded).
size_t number_end(std::string_view p, size_t i) {
    size_t e = digit_run(p, i);
    const bool is_whole = e > i;
    if (is_whole && e - i <= 3) {
        size_t g = e;
        while (g + 3 < p.size() && p[g] == ',' && is_digit(p[g + 1]) && is_digit(p[g + 2]) && is_digit(p[g + 3]) &&
               (g + 4 >= p.size() || !is_digit(p[g + 4])))
            g += 4;
        e = g;
    }
    bool is_integer = true;
    if (e + 1 < p.size() && p[e] == '.' && is_digit(p[e + 1])) { e = digit_run(p, e + 1); is_integer = false; }
    if (e + 1 < p.size() && p[e] == '/' && is_digit(p[e + 1])) return digit_run(p, e + 1);
    // A mixed number: "w n/d", one space, a proper fraction, nothing glued after it.
    if (is_integer && e + 1 < p.size() && p[e] == ' ' && is_digit(p[e + 1])) {
        size_t n_end = digit_run(p, e + 1);
        if (n_end + 1 < p.size() && p[n_end] == '/' && is_digit(p[n_end + 1])) {
            size_t d_end = digit_run(p, n_end + 1);
            const bool is_glued = d_end < p.size() && (is_digit(p[d_end]) || p[d_end] == '.' || p[d_end] == '/');
            std::optional<rational> n = try_parse_rational(p.substr(e + 1, n_end - e - 1));
            std::optional<rational> d = try_parse_rational(p.substr(n_end + 1, d_end - n_end - 1));
            if (!is_glued && n && d && *d > 0 && *n < *d) return d_end;
        }
    }
    return e;
}

std::vector<token> tokenize(std::string_view p) {
    std::vector<token> out;
    for (size_t i = 0; i < p.size();) {
        const char c = p[i];
        if (is_space(c)) { ++i; continue; }
        const bool starts_number = is_digit(c) || (c == '.' && i + 1 < p.size() && is_digit(p[i + 1]) && (i == 0 || !is_digit(p[i - 1])));
        if (starts_number) {
            size_t e = number_end(p, i);
            std::string text(p.substr(i, e - i));
            // Sign: '-' before the digits, or before a '$' before them; not a subtraction.
            size_t s = i;
            if (s > 0 && p[s - 1] == '$') --s;
            const bool is_negative = s > 0 && p[s - 1] == '-' && (s == 1 || !(is_alpha(p[s - 2]) || is_digit(p[s - 2]) || p[s - 2] == ')'));
            if (is_negative) s = (s - 1);
            const char before = s > 0 ? p[s - 1] : ' ';
            bool is_plain = !(is_alpha(before) || before == '^' || before == '_' || before == '{' || before == '\\');
            size_t after = e;
            if (after < p.size() && p[after] == '%') ++after;
            if (after < p.size()) {
                const char a = p[after];
                if (a == '^' || a == '\\' || a == '{') is_plain = false;
                if (is_alpha(a)) {
                    size_t n_letters = 0;
                    while (after + n_letters < p.size() && is_alpha(p[after + n_letters])) ++n_letters;
                    if (n_letters == 1) is_plain = false;  // "2x": a variable; "5cm", "3rd": units
                }
            }
            std::string canonical = normalize((is_negative ? "-" : "") + text);  // "1 1/2" -> "3/2"
            out.push_back({tok::number, canonical.empty() ? text : canonical, s, is_plain});
            i = after;
            continue;
        }
        if (is_alpha(c)) {
            size_t e = i;
            while (e < p.size() && (is_alpha(p[e]) || (p[e] == '\'' && e + 1 < p.size() && is_alpha(p[e + 1])))) ++e;
            std::string w(p.substr(i, e - i));
            for (char & ch : w) ch = static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
            const bool is_command = i > 0 && p[i - 1] == '\\';
            out.push_back({tok::word, is_command ? "\\" + w : w, i, true});
            i = e;
            continue;
        }
        out.push_back({tok::symbol, std::string(1, c), i, true});
        ++i;
    }
    return out;
}

bool is_word(const token & t, std::initializer_list<std::string_view> words) {
    return t.kind == tok::word && std::find(words.begin(), words.end(), t.text) != words.end();
}
bool is_symbol(const token & t, std::string_view chars) {
    return t.kind == tok::symbol && chars.find(t.text[0]) != std::string_view::npos;
}

bool ends_clause(const token & t) {
    return is_word(t, {"because", "since", "as", "so", "which", "where", "when", "from", "after", "given", "if", "but", "while",
                       "hence", "thus", "therefore", "then", "for", "with", "who", "whereas"}) ||
           is_symbol(t, "([;:?!");
}
bool is_conjunction(const token & t) { return is_word(t, {"and", "or"}) || is_symbol(t, ",&"); }

// A parenthetical at `open` that a worked equation continues after ("3 (apples) + 5 = 8"):
// the index of its closing bracket, else nullopt ("42 (6 x 7)" ends the clause).
std::optional<size_t> continued_parenthetical(const std::vector<token> & t, size_t open) {
    int depth = 0;
    for (size_t i = open; i < t.size(); ++i) {
        if (is_symbol(t[i], "([")) ++depth;
        if (is_symbol(t[i], ")]") && --depth == 0) {
            const bool continues = i + 1 < t.size() && (is_symbol(t[i + 1], "+-*/=") || is_word(t[i + 1], {"x", "times"}));
            return continues ? std::optional<size_t>(i) : std::nullopt;
        }
    }
    return std::nullopt;
}

// "twelve" -> "12" (zero to twenty), as normalize reads them.
std::optional<std::string> number_word(const token & t) {
    if (t.kind != tok::word) return std::nullopt;
    std::string n = normalize(t.text);
    if (n.empty() || !is_digit(n[0])) return std::nullopt;
    return n;
}

// After a conjunction at `c`: is another quantity named within three words ("and 2 oranges",
// "and y = 3")?
bool names_another_number(const std::vector<token> & t, size_t c) {
    int n_words = 0;
    for (size_t i = c + 1; i < t.size(); ++i) {
        if (t[i].kind == tok::number) return true;
        if (ends_clause(t[i]) || is_conjunction(t[i])) return false;
        if (t[i].kind == tok::word && ++n_words > 3) return false;
        if (t[i].kind == tok::symbol && !is_symbol(t[i], "$=-*")) return false;
    }
    return false;
}

// A run of three or more letters that is not a LaTeX command: prose, not math.
bool has_prose_word(const std::vector<token> & t, size_t end) {
    for (size_t i = 0; i < end && i < t.size(); ++i)
        if (t[i].kind == tok::word && t[i].text[0] != '\\' && t[i].text.size() >= 3) return true;
    return false;
}

}  // namespace

std::string plain_math(std::string_view text) {
    std::string s(text);
    replace_all(s, "\xE2\x88\x92", "-");    // U+2212 minus sign
    replace_all(s, "\xC3\x97", " * ");      // U+00D7 multiplication sign
    replace_all(s, "\xC3\xB7", " / ");      // U+00F7 division sign
    replace_all(s, "\xE2\x80\x94", " ; ");  // U+2014 em dash: a clause break
    replace_all(s, "\xC2\xA0", " ");        // U+00A0 no-break space
    replace_all(s, "**", "");
    replace_all(s, "{,}", ",");
    replace_all(s, "\\$", "$");
    replace_all(s, "\\%", "%");
    for (std::string_view t : {"\\!", "\\,", "\\;", "\\:", "^{\\circ}", "^\\circ"}) replace_all(s, t, "");
    for (std::string_view t : {"\\(", "\\)", "\\[", "\\]", "\\ "}) replace_all(s, t, " ");
    for (std::string_view cmd : {"\\left", "\\right", "\\displaystyle", "\\quad", "\\qquad"}) replace_command(s, cmd, " ");
    for (std::string_view cmd : {"\\times", "\\cdot"}) replace_command(s, cmd, " * ");
    replace_command(s, "\\div", " / ");
    replace_command(s, "\\dfrac", "\\frac");
    replace_command(s, "\\tfrac", "\\frac");
    for (std::string_view cmd : {"\\boxed", "\\fbox", "\\text", "\\textbf", "\\mathrm", "\\mathbf", "\\mbox", "\\textrm"})
        unwrap_command(s, cmd);
    plain_fractions(s);
    return s;
}

reading read_statement(std::string_view statement) {
    const std::string plain = plain_math(statement);
    const std::vector<token> t = tokenize(plain);
    // 1. Negated.
    size_t first_word = 0;
    while (first_word < t.size() && t[first_word].kind == tok::symbol) ++first_word;
    if (first_word < t.size() && (is_word(t[first_word], {"not", "never"}) || t[first_word].text.starts_with("n't"))) return {};
    // 2. The first number.
    size_t f = 0;
    while (f < t.size() && t[f].kind != tok::number) ++f;
    if (f == t.size()) {
        // A number word standing alone, possibly with a unit: "twelve", "twelve apples".
        size_t n_words = 0;
        for (const token & x : t) n_words += x.kind == tok::word ? 1 : 0;
        std::optional<std::string> w = first_word < t.size() ? number_word(t[first_word]) : std::nullopt;
        if (w && n_words <= 2) return {reading_kind::number, *w};
        return {};
    }
    // 3. The clause, or several quantities.
    size_t end = f + 1;
    for (; end < t.size(); ++end) {
        if (is_symbol(t[end], "([")) {
            if (std::optional<size_t> close = continued_parenthetical(t, end)) {
                end = *close;
                continue;
            }
        }
        if (ends_clause(t[end])) break;
        if (is_conjunction(t[end])) {
            if (names_another_number(t, end)) return {reading_kind::multiple, {}};
            break;
        }
    }
    if (!t[f].is_plain) {
        if (has_prose_word(t, end)) return {};
        std::string expr = normalize(std::string_view(plain).substr(0, end < t.size() ? t[end].begin : plain.size()));
        if (expr.empty()) return {};
        return {reading_kind::expression, expr};
    }
    // 4. A worked equation: the first number after its last '='.
    size_t answer = f;
    for (size_t i = end; i-- > f;) {
        if (!is_symbol(t[i], "=")) continue;
        size_t n = i + 1;
        while (n < end && t[n].kind != tok::number) ++n;
        if (n == end) return {};  // "= ?": nothing asserted
        answer = n;
        break;
    }
    if (!t[answer].is_plain) return {};
    return {reading_kind::number, t[answer].text};
}

std::optional<std::string> try_last_number(std::string_view text) {
    const std::vector<token> t = tokenize(plain_math(text));
    for (size_t i = t.size(); i-- > 0;)
        if (t[i].kind == tok::number && t[i].is_plain) return t[i].text;
    return std::nullopt;
}

}  // namespace tts::strategy
