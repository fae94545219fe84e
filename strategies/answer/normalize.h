// normalize: the canonical text form of an extracted math answer (strategies.md §11.2).
//
// Pure functions over strings; no state, callable from any fiber or thread. The rules are the
// purely textual subset of Qwen2.5-Math `strip_string`, plus exact number handling:
//   - drop `$`, `\$`, `\(`, `\)`, `\left`, `\right`, `\!`, `\,`, `^\circ`, `\%`, `%`, spaces,
//     a trailing period, a trailing `\text{unit}` and trailing unit words ("18 dollars" -> "18");
//   - `\text{X}`, `\mbox{X}`, `\mathrm{X}`, `\textbf{X}`, `\mathbf{X}` -> X; `\dfrac`/`\tfrac` -> `\frac`;
//   - a short left-hand side is dropped: "x = 5" -> "5" (at most 2 characters, as Qwen does);
//   - numbers: "1,200" -> "1200", "3.50" -> "3.5", "5.0" -> "5", ".5" -> "0.5", "025" -> "25",
//     "-0" -> "0", "45%" -> "45", "-$5" -> "-5"; `\frac{a}{b}`, `\frac ab`, `a/b` with numeric a, b
//     -> "a/b" (sign in front, not reduced: reduction is answer_key's job, see equivalent.h);
//   - mixed numbers: "1 1/2", "1\frac{1}{2}" -> "3/2" (a whole number, a space, a proper fraction;
//     read before spaces are erased, so they never become "11/2");
//   - everything else: trimmed and lower-cased.
// Invariant: normalize(normalize(s)) == normalize(s).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <boost/multiprecision/cpp_int.hpp>

namespace tts::strategy {

// Returns the canonical form of an answer; an empty string when nothing is left.
std::string normalize(std::string_view answer);

// An exact rational of any size (Boost.Multiprecision; always reduced, denominator > 0).
using rational = boost::multiprecision::cpp_rational;

// Parses a normalised plain number: optional sign, then an integer or a decimal ("-3.5", "12"),
// or a fraction of two of those ("7/2", "-1.5/3"). Exact at any size; returns nullopt for
// anything else (exponents such as "1e5" included: callers fall back to try_parse_double).
std::optional<rational> try_parse_rational(std::string_view s);

// Parses a normalised number as a double: everything try_parse_rational accepts, plus long
// decimals and exponents ("1e5"). Returns nullopt when s is not a number.
std::optional<double> try_parse_double(std::string_view s);

// The unique text of a rational: "12", "-3.5" (denominators 2^a*5^b print as decimals), else "1/3".
std::string to_string(const rational & r);

}  // namespace tts::strategy
