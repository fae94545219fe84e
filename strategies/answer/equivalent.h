// equivalent: are two math answers the same? (strategies.md §11.3, §11.4 fast path)
//
// Two different questions, two functions:
//   - answer_key(s) groups votes. It is exact: numbers become their reduced rational's unique
//     text, so "1,200", "1200.0" and "$1200" share the key "1200", and "0.5", "1/2" and
//     "\frac{2}{4}" share "0.5". No tolerance and no percent games: a key never merges 2 and 200,
//     and never merges 1/2004! with 1/2006! through float rounding.
//   - equivalent(a, b) grades. By default it is exact too: two numbers match when their exact
//     values are equal; a tolerance applies only where exactness is impossible (a finite decimal
//     standing for 1/3, or a number that only parses as a double, such as "1e5"). Qwen2.5-Math's
//     percent leniency (2 == 200) is opt-in, per dataset (evals/dataset.h grading_mode).
// Both normalise their inputs first (normalize is idempotent), so raw or normalised answers may
// be passed. Pure functions; callable from any fiber or thread.
#pragma once

#include <string>
#include <string_view>

namespace tts::strategy {

struct equivalence_options {
    // Used only when one side has no exact finite-decimal value (10/3, "1e5"): numbers a, b then
    // match when |a - b| <= rel_tol * max(|a|, |b|). Qwen uses 1e-4; 1e-6 keeps 3.3333 and 10/3
    // apart while 0.3333333333 and 1/3 match. Two terminating values (1000000 and 1000000.5)
    // never use it: they are compared exactly.
    double rel_tol = 1e-6;
    // Qwen `math_equal(include_percentage=True)`: a number also matches the other one times 100
    // or divided by 100, so "45" and "0.45" are equivalent -- and so are 2 and 200. Off by
    // default; a dataset turns it on with `grading: percent_lenient`.
    bool is_percent_lenient = false;
};

// Returns true when a and b denote the same answer: equal normalised strings, or numbers equal
// under `opt`. Non-numeric answers compare as normalised (trimmed, lower-cased) strings.
// Empty answers are never equivalent to anything, including each other.
bool equivalent(std::string_view a, std::string_view b, const equivalence_options & opt = {});

// Returns the exact grouping key of an answer (see the header comment). Empty for an empty answer.
std::string answer_key(std::string_view answer);

}  // namespace tts::strategy
