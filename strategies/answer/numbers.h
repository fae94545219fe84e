// numbers: the numbers in a model's text, and the one number a statement asserts.
//
// Everything works on a plain view of the text (plain_math): LaTeX number markup is unwrapped
// (`\text{}`, `\boxed{}`, `\frac{a}{b}` with numeric a and b, `\$`, `\%`, `{,}`, `\,`,
// `\left`/`\right`, `\times`/`\cdot`/`\div`, U+2212 minus, U+00D7 times, `**` bold), so
// "\boxed{1\frac{1}{2}}" and "1 1/2 cups" read alike.
//
// A number token is, in this order: an optional sign ('-' right before the digits or before a
// '$' in front of them, and not after a digit, letter or ')': "10-5" is a subtraction, "-$5" is
// -5); an integer (plain digits, or 1-3 digits then well-formed ",ddd" groups: "1,200" yes,
// "1,2" no); an optional ".ddd"; an optional glued "/ddd" (a fraction); a mixed number "w n/d"
// (one space, proper fraction: "1 1/2" = 3/2); an optional trailing '%' (dropped). A token is
// *plain* unless it is glued to a variable or to LaTeX ("2x", "x2", "2^3", "2\sqrt{3}",
// "\sqrt{2}"); unit words may be glued ("5cm", "3rd").
//
// Pure functions; callable from any fiber or thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tts::strategy {

enum class reading_kind {
    number,      // one number: text holds its canonical form ("-5", "1234.5", "3/2")
    expression,  // a math expression that is not a number ("2\sqrt{3}", "2x+1"): text normalised
    multiple,    // several quantities, no single answer ("18 apples and 2 oranges", "x=5 and y=3")
    none,        // no number asserted ("correct", "<number>", "not 5")
    word,        // a word answer (extract.h's yes_no / choice readers; never from read_statement)
};

struct reading {
    reading_kind kind = reading_kind::none;
    std::string text;
};

// What a statement asserts. `statement` is what follows an anchor ("The answer is |12 because
// she had 3 boxes of 4 eggs"), already cut to its sentence by the caller, or a box's content.
// Rules, in order:
//   1. negated ("not 5", "n't 5", "never 5") -> none;
//   2. no number token: a number word alone or with a unit ("twelve apples" -> 12), else none;
//      a first number that is not plain -> expression when the statement has no prose word
//      (three or more letters outside a LaTeX command), else none;
//   3. the clause runs from the start to the first clause end after the first number: a
//      connective ("because", "since", "as", "so", "which", "for", "with", ...), '(', '[', ';',
//      ':', '?', '!'. A conjunction ("and", "or", ',', '&') followed within three words by
//      another number makes the statement `multiple`; otherwise it ends the clause too;
//   4. a worked equation in the clause answers with the first number after its last '='
//      ("3 + 5 = 8 apples" -> 8, "x = 10" -> 10); otherwise the clause's first number answers
//      ("12 because 3 x 4" -> 12, "42 (6 x 7)" -> 42).
reading read_statement(std::string_view statement);

// The canonical text of the last plain number token of `text`, or nullopt when it has none.
std::optional<std::string> try_last_number(std::string_view text);

// The plain view described above (exposed for tests).
std::string plain_math(std::string_view text);

}  // namespace tts::strategy
