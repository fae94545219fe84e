// normalize: textual clean-up of an extracted answer, then exact canonical numbers.
#include "strategies/answer/normalize.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstring>

namespace tts::strategy {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

void replace_all(std::string & s, std::string_view from, std::string_view to) {
    for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size()))
        s.replace(pos, from.size(), to);
}

// Removes a LaTeX command only where it is not the prefix of a longer one (`\left` but not `\leftarrow`).
void remove_command(std::string & s, std::string_view cmd) {
    for (size_t pos = s.find(cmd); pos != std::string::npos; pos = s.find(cmd, pos)) {
        size_t end = pos + cmd.size();
        if (end < s.size() && is_alpha(s[end])) { pos = end; continue; }
        s.erase(pos, cmd.size());
    }
}

// Index one past the '}' matching the '{' at s[open], or npos when unbalanced.
size_t match_brace(std::string_view s, size_t open) {
    int depth = 0;
    for (size_t i = open; i < s.size(); ++i) {
        if (s[i] == '{') ++depth;
        else if (s[i] == '}' && --depth == 0) return i + 1;
    }
    return std::string_view::npos;
}

// `\cmd{X}` -> `X` for every balanced occurrence.
void unwrap_command(std::string & s, std::string_view cmd) {
    std::string open = std::string(cmd) + "{";
    for (size_t pos = s.find(open); pos != std::string::npos; pos = s.find(open, pos)) {
        size_t brace = pos + cmd.size();
        size_t end = match_brace(s, brace);
        if (end == std::string::npos) break;
        s = s.substr(0, pos) + s.substr(brace + 1, end - brace - 2) + s.substr(end);
    }
}

// "18\text{ dollars}" -> "18": a trailing text group after real content is a unit.
void drop_trailing_text_unit(std::string & s) {
    for (std::string_view cmd : {"\\text{", "\\mbox{", "\\mathrm{"}) {
        size_t pos = s.rfind(cmd);
        if (pos == std::string::npos || trim(std::string_view(s).substr(0, pos)).empty()) continue;
        if (match_brace(s, pos + cmd.size() - 1) != s.size()) continue;
        char last = trim(std::string_view(s).substr(0, pos)).back();
        if (!is_digit(last) && last != '}') continue;  // "18\text{ dollars}", "\frac{1}{2}\text{ cup}"
        s.erase(pos);
        return;
    }
}

// "18 dollars per day" -> "18", "5cm^2" -> "5". A single glued letter ("5x", "3i") is kept:
// it is more likely algebra than a unit.
std::string drop_trailing_unit_words(std::string_view s) {
    size_t p = 0;
    while (p < s.size() && !is_alpha(s[p])) ++p;
    if (p == 0 || p == s.size()) return std::string(s);
    std::string_view head = trim(s.substr(0, p));
    std::string_view tail = s.substr(p);
    size_t n_letters = 0;
    while (n_letters < tail.size() && is_alpha(tail[n_letters])) ++n_letters;
    if (!is_space(s[p - 1]) && n_letters < 2) return std::string(s);
    for (size_t i = 0; i < tail.size(); ++i) {
        char c = tail[i];
        bool is_power = (c == '2' || c == '3') && i > 0 && tail[i - 1] == '^';
        if (!is_alpha(c) && !is_space(c) && c != '.' && c != '^' && c != '/' && !is_power) return std::string(s);
    }
    if (head.empty() || !(is_digit(head.back()) || head.back() == '.')) return std::string(s);
    return std::string(head);
}

// "x = 5" -> "5" when the left side is at most 2 characters (Qwen strip_string).
void drop_short_lhs(std::string & s) {
    size_t eq = s.find('=');
    if (eq == std::string::npos || s.find('=', eq + 1) != std::string::npos) return;
    if (trim(std::string_view(s).substr(0, eq)).size() <= 2) s = std::string(trim(std::string_view(s).substr(eq + 1)));
}

std::string word_to_number(const std::string & s) {
    static const std::array<const char *, 21> words = {
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
        "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty"};
    for (size_t i = 0; i < words.size(); ++i)
        if (s == words[i]) return std::to_string(i);
    return s;
}

// Canonical text of an unsigned plain decimal ("1,200" "025" "3.50" ".5"), or "" when s is not one.
std::string canonical_unsigned_decimal(std::string_view s) {
    size_t dot = s.find('.');
    std::string_view int_part = s.substr(0, dot);
    std::string_view frac_part = dot == std::string_view::npos ? std::string_view() : s.substr(dot + 1);
    if (int_part.empty() && frac_part.empty()) return {};
    std::string digits;
    if (int_part.find(',') != std::string_view::npos) {
        // Thousands separators must be well-formed groups: "1,200" yes, "1,2" (a list) no.
        size_t first = int_part.find(',');
        if (first == 0 || first > 3 || (int_part.size() - first) % 4 != 0) return {};
        for (size_t i = first; i < int_part.size(); ++i)
            if ((int_part[i] == ',') != ((i - first) % 4 == 0)) return {};
    }
    for (char c : int_part) {
        if (c == ',') continue;
        if (!is_digit(c)) return {};
        digits += c;
    }
    for (char c : frac_part)
        if (!is_digit(c)) return {};
    size_t nz = digits.find_first_not_of('0');
    digits = nz == std::string::npos ? "0" : digits.substr(nz);
    std::string frac(frac_part);
    while (!frac.empty() && frac.back() == '0') frac.pop_back();
    return frac.empty() ? digits : digits + "." + frac;
}

// Canonical signed number ("-0" -> "0", "+5" -> "5"), or "" when s is not one.
std::string canonical_number(std::string_view s) {
    bool is_negative = false;
    if (!s.empty() && (s[0] == '-' || s[0] == '+')) { is_negative = s[0] == '-'; s.remove_prefix(1); }
    std::string u = canonical_unsigned_decimal(s);
    if (u.empty()) return {};
    return (is_negative && u != "0") ? "-" + u : u;
}

// `\frac{a}{b}` / `\frac ab` spanning the whole string -> {a, b}.
bool split_latex_frac(std::string_view s, std::string & a, std::string & b) {
    if (s.substr(0, 5) != "\\frac") return false;
    s.remove_prefix(5);
    auto take = [&](std::string & out) {
        if (s.empty()) return false;
        if (s[0] != '{') { out = std::string(1, s[0]); s.remove_prefix(1); return true; }
        size_t end = match_brace(s, 0);
        if (end == std::string_view::npos) return false;
        out = std::string(s.substr(1, end - 2));
        s.remove_prefix(end);
        return true;
    };
    return take(a) && take(b) && s.empty();
}

// Whole-string numbers and simple fractions -> canonical text; anything else unchanged.
std::string canonical_numeric(const std::string & s) {
    if (std::string n = canonical_number(s); !n.empty()) return n;
    bool is_negative = !s.empty() && s[0] == '-';
    std::string_view body = is_negative ? std::string_view(s).substr(1) : std::string_view(s);
    std::string a, b;
    if (!split_latex_frac(body, a, b)) {
        size_t slash = body.find('/');
        if (slash == std::string_view::npos) return s;
        a = std::string(body.substr(0, slash));
        b = std::string(body.substr(slash + 1));
    }
    std::string na = canonical_number(a), nb = canonical_number(b);
    if (na.empty() || nb.empty()) return s;
    if (na[0] == '-') { is_negative = !is_negative; na.erase(0, 1); }
    if (nb[0] == '-') { is_negative = !is_negative; nb.erase(0, 1); }
    return (is_negative && na != "0" ? "-" : "") + na + "/" + nb;
}

// `{x}`, `(x)`, `[x]` around a plain token -> x.
std::string unwrap_brackets(std::string s) {
    while (s.size() >= 3) {
        char o = s.front(), c = s.back();
        if (!((o == '{' && c == '}') || (o == '(' && c == ')') || (o == '[' && c == ']'))) break;
        std::string in = s.substr(1, s.size() - 2);
        bool is_plain = true;
        for (char ch : in) is_plain = is_plain && (is_alpha(ch) || is_digit(ch) || ch == '.' || ch == '-' || ch == '/');
        if (!is_plain && !try_parse_double(canonical_numeric(in))) return s;
        s = std::move(in);
    }
    return s;
}

using boost::multiprecision::cpp_int;

// A cpp_int from decimal digits. Leading zeros are dropped first: cpp_int's string constructor
// reads "075" as octal (61), not 75.
cpp_int decimal_int(std::string_view digits) {
    size_t nz = digits.find_first_not_of('0');
    return nz == std::string_view::npos ? cpp_int(0) : cpp_int(std::string(digits.substr(nz)));
}

// Digits beyond this are not a model's answer; refusing them bounds the work on hostile input.
constexpr size_t k_max_digits = 400;

std::optional<rational> parse_decimal_rational(std::string_view s) {
    bool is_negative = !s.empty() && s[0] == '-';
    if (is_negative) s.remove_prefix(1);
    size_t dot = s.find('.');
    std::string_view ip = s.substr(0, dot);
    std::string_view fp = dot == std::string_view::npos ? std::string_view() : s.substr(dot + 1);
    if ((ip.empty() && fp.empty()) || (dot != std::string_view::npos && fp.empty()) || ip.size() + fp.size() > k_max_digits)
        return std::nullopt;
    for (std::string_view part : {ip, fp})
        for (char c : part)
            if (!is_digit(c)) return std::nullopt;
    std::string digits = std::string(ip) + std::string(fp);
    cpp_int num = decimal_int(digits);
    cpp_int scale = boost::multiprecision::pow(cpp_int(10), unsigned(fp.size()));
    return rational(is_negative ? cpp_int(-num) : num, scale);
}

// "1\frac{1}{2}" -> "1 1/2" (a whole number glued to a fraction of whole numbers), for mixed_number.
void unglue_mixed_frac(std::string & s) {
    for (size_t pos = s.find("\\frac{"); pos != std::string::npos; pos = s.find("\\frac{", pos + 1)) {
        size_t before = pos;
        while (before > 0 && s[before - 1] == ' ') --before;
        if (before == 0 || !is_digit(s[before - 1])) continue;
        size_t a_end = match_brace(s, pos + 5);
        if (a_end == std::string::npos || a_end >= s.size() || s[a_end] != '{') continue;
        size_t b_end = match_brace(s, a_end);
        if (b_end == std::string::npos) continue;
        std::string a = s.substr(pos + 6, a_end - pos - 7), b = s.substr(a_end + 1, b_end - a_end - 2);
        if (a.empty() || b.empty() || !std::all_of(a.begin(), a.end(), is_digit) || !std::all_of(b.begin(), b.end(), is_digit)) continue;
        s = s.substr(0, before) + " " + a + "/" + b + s.substr(b_end);
    }
}

// "1 1/2" -> "3/2": a whole number, one space, a proper fraction of whole numbers.
std::optional<std::string> mixed_number(std::string_view s) {
    bool is_negative = !s.empty() && s[0] == '-';
    if (is_negative) s.remove_prefix(1);
    size_t space = s.find(' '), slash = s.find('/');
    if (space == std::string_view::npos || slash == std::string_view::npos || slash < space) return std::nullopt;
    std::string_view w = s.substr(0, space), n = trim(s.substr(space, slash - space)), d = s.substr(slash + 1);
    for (std::string_view part : {w, n, d}) {
        if (part.empty() || part.size() > 30) return std::nullopt;
        for (char c : part)
            if (!is_digit(c)) return std::nullopt;
    }
    cpp_int whole = decimal_int(w), num = decimal_int(n), den = decimal_int(d);
    if (den == 0 || num >= den) return std::nullopt;
    cpp_int top = whole * den + num;
    return (is_negative ? "-" : "") + top.str() + "/" + den.str();
}

}  // namespace

std::string normalize(std::string_view answer) {
    std::string s(trim(answer));
    replace_all(s, "\xE2\x88\x92", "-");  // U+2212 minus sign
    replace_all(s, "\n", " ");
    replace_all(s, "\\dfrac", "\\frac");
    replace_all(s, "\\tfrac", "\\frac");
    for (std::string_view cmd : {"\\left", "\\right", "\\displaystyle"}) remove_command(s, cmd);
    for (std::string_view t : {"\\!", "\\,", "\\;", "\\:", "\\ ", "^{\\circ}", "^\\circ", "\\$", "$", "\\(", "\\)",
                               "\\[", "\\]", "\\%", "%"})
        replace_all(s, t, "");
    replace_all(s, "{,}", ",");
    unglue_mixed_frac(s);
    drop_trailing_text_unit(s);
    for (std::string_view cmd : {"\\boxed", "\\fbox", "\\text", "\\textbf", "\\mbox", "\\mathrm", "\\mathbf"})
        unwrap_command(s, cmd);
    for (char & c : s)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    s = std::string(trim(s));
    while (!s.empty() && (s.back() == '.' || s.back() == '/')) s = std::string(trim(s.substr(0, s.size() - 1)));
    while (!s.empty() && s.front() == ':') s = std::string(trim(s.substr(1)));
    drop_short_lhs(s);
    s = drop_trailing_unit_words(s);
    s = word_to_number(s);
    if (std::optional<std::string> m = mixed_number(s)) s = *m;
    std::erase_if(s, is_space);
    while (!s.empty() && s.back() == '.') s.pop_back();
    s = unwrap_brackets(std::move(s));
    if (s.starts_with("+")) s.erase(0, 1);
    return canonical_numeric(s);
}

std::optional<rational> try_parse_rational(std::string_view s) {
    size_t slash = s.find('/');
    if (slash == std::string_view::npos) return parse_decimal_rational(s);
    std::optional<rational> a = parse_decimal_rational(s.substr(0, slash));
    std::optional<rational> b = parse_decimal_rational(s.substr(slash + 1));
    if (!a || !b || *b == 0) return std::nullopt;
    return *a / *b;
}

std::optional<double> try_parse_double(std::string_view s) {
    if (std::optional<rational> r = try_parse_rational(s)) {
        double d = r->convert_to<double>();
        if (std::isfinite(d)) return d;
        return std::nullopt;
    }
    auto parse = [](std::string_view t) -> std::optional<double> {
        double v = 0;
        auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
        if (ec != std::errc() || end != t.data() + t.size() || !std::isfinite(v) || t.empty() || !(is_digit(t[0]) || t[0] == '-' || t[0] == '.'))
            return std::nullopt;
        return v;
    };
    size_t slash = s.find('/');
    if (slash == std::string_view::npos) return parse(s);
    std::optional<double> a = parse(s.substr(0, slash)), b = parse(s.substr(slash + 1));
    if (!a || !b || *b == 0) return std::nullopt;
    return *a / *b;
}

std::string to_string(const rational & r) {
    const cpp_int num = numerator(r), den = denominator(r);
    if (den == 1) return num.str();
    cpp_int d = den;
    unsigned n2 = 0, n5 = 0;
    while (d % 2 == 0) { d /= 2; ++n2; }
    while (d % 5 == 0) { d /= 5; ++n5; }
    if (d != 1) return num.str() + "/" + den.str();
    const unsigned k = std::max(n2, n5);
    const cpp_int pow10 = boost::multiprecision::pow(cpp_int(10), k);
    cpp_int scaled = abs(num) * (pow10 / den);  // exact: den divides 10^k
    std::string frac = cpp_int(scaled % pow10).str();
    frac.insert(0, k - frac.size(), '0');
    while (!frac.empty() && frac.back() == '0') frac.pop_back();
    return (num < 0 ? "-" : "") + cpp_int(scaled / pow10).str() + (frac.empty() ? "" : "." + frac);
}

}  // namespace tts::strategy
