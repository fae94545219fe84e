// extract: find the final answer in a model's completion text (strategies.md §11.1).
//
// Rules, tried in this order; the first that yields a non-empty answer wins:
//   1. boxed        the last `\boxed{...}` or `\fbox{...}` with balanced braces (nested braces
//                   kept); `\boxed 5` takes the text up to the next `$` or end of line. An
//                   unbalanced (truncated) last box falls back to the previous box.
//   2. hash         the rest of the line after the last `####` (GSM8K style).
//   3. answer_is    after the last "answer is" ("the answer is", "the final answer is"), up to
//                   the end of the sentence or line.
//   4. answer_colon after the last "answer:" ("Answer: 5", "Final Answer: 5").
//   5. final_answer after the last "final answer" not caught above ("final answer 5", "final answer = 5").
//   6. last_number  the last number in the text ("-1,200.5", "3/4", thousands commas allowed).
// When the text contains `</think>`, the rules run first on the text after the last one (the
// model's answer segment); only if nothing is found there do they run on the whole text.
// The returned text is cleaned the way Qwen's parser does (newlines, a leading ':', trailing
// '.' and '/'), but not normalised: pass it to normalize() / answer_key() for that.
// Pure functions; callable from any fiber or thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tts::strategy {

enum class extract_rule { boxed, hash, answer_is, answer_colon, final_answer, last_number };

struct extracted_answer {
    std::string text;          // the answer as written, lightly cleaned
    extract_rule rule;         // which rule fired
    bool is_after_think;       // found after the last `</think>`
};

// Returns the final answer of a completion, or nullopt when no rule finds one.
std::optional<extracted_answer> try_extract_answer(std::string_view completion);

// Returns the content of the last complete `\boxed{...}` / `\fbox{...}`, or nullopt.
std::optional<std::string> try_extract_boxed(std::string_view text);

// The rule's name as used in logs and reports: "boxed", "hash", ...
const char * to_string(extract_rule r);

}  // namespace tts::strategy
