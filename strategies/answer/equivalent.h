// equivalent: are two math answers the same? (strategies.md §11.3, §11.4 fast path)
//
// Two different questions, two functions:
//   - answer_key(s) groups votes. It is exact: numbers become their reduced rational's unique
//     text, so "1,200", "1200.0" and "$1200" share the key "1200", and "0.5", "1/2" and
//     "\frac{2}{4}" share "0.5". No tolerance and no percent games: a key never merges 2 and 200,
//     and never merges 1/2004! with 1/2006! through float rounding.
//   - equivalent(a, b) grades. It is lenient the way Qwen2.5-Math `math_equal` is, so accuracy
//     numbers are comparable with published ones (see equivalence_options for what we chose).
// Both normalise their inputs first (normalize is idempotent), so raw or normalised answers may
// be passed. Pure functions; callable from any fiber or thread.
#pragma once

#include <string>
#include <string_view>

namespace tts::strategy {

struct equivalence_options {
    // Numbers a, b match when |a - b| <= rel_tol * max(|a|, |b|); exact rationals compare exactly
    // first. Qwen uses 1e-4; we default to 1e-6 so that 3.3333 and 10/3 stay different.
    double rel_tol = 1e-6;
    // Qwen `math_equal(include_percentage=True)`: a number also matches the other one times 100
    // or divided by 100, so "45%" (normalised to 45), "45" and "0.45" are all equivalent. Note
    // this also makes 2 and 200 equivalent, exactly as Qwen's grader does. Turn it off for a
    // strict grader.
    bool is_percent_lenient = true;
};

// Returns true when a and b denote the same answer: equal normalised strings, or numbers equal
// under `opt`. Non-numeric answers compare as normalised (trimmed, lower-cased) strings.
// Empty answers are never equivalent to anything, including each other.
bool equivalent(std::string_view a, std::string_view b, const equivalence_options & opt = {});

// Returns the exact grouping key of an answer (see the header comment). Empty for an empty answer.
std::string answer_key(std::string_view answer);

}  // namespace tts::strategy
