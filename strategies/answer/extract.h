// extract: find the final answer in a model's completion text (strategies.md §11.1).
//
// The answer segment is the text after the last `</think>` when that holds an answer, else the
// whole text. In it, every *statement* of an answer is found:
//   boxed        a complete `\boxed{...}` / `\fbox{...}` (balanced braces; `\boxed 5` up to the
//                next `$` or end of line); a truncated box is no statement;
//   hash         `#### ...` (GSM8K style), up to the end of the line;
//   answer_is    "answer is" (not "answer isn't"), up to the end of its sentence;
//   answer_colon "answer:" ("Answer: 5", "**Final Answer:** 5");
//   final_answer "final answer" ("## Final Answer\n\n42", "final answer = 7").
// After an anchor whose line is empty, the next non-empty line is the statement.
// The statements are read from the last one back; the first that asserts something decides:
//   numeric (the default, every shipped dataset): read_statement (numbers.h) -- one number wins
//     ("12 because ... 3 boxes of 4" -> 12, "3 + 5 = 8" -> 8, "1 1/2" -> 3/2, "-$5" -> -5); a
//     boxed expression that is not a number is answered as written ("2\sqrt{3}"); several
//     quantities ("18 apples and 2 oranges") mean no single answer: the completion abstains.
//     A statement with no number ("the answer is correct", the prompt's "<number>") asserts
//     nothing and is skipped. With no asserting statement, the last plain number of the segment
//     answers (rule last_number) -- unless the completion is truncated (options): the last
//     number of text cut at max_tokens is where the cut fell, so it then answers only with a
//     complete statement, else none.
//   yes_no / choice: the statement's first word must be yes/no, or an option letter (upper
//     case, or in parentheses); there is no last-word fallback.
// The returned text is canonical (normalize(), numbers.h): "1,200" -> "1200", "3/2", "yes", "B".
// Pure functions; callable from any fiber or thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tts::strategy {

enum class extract_rule { boxed, hash, answer_is, answer_colon, final_answer, last_number };

// What kind of answer the dataset expects. Word answers are only ever returned when it says so.
enum class answer_type { numeric, yes_no, choice };

struct extract_options {
    answer_type type = answer_type::numeric;
    std::string_view choices = "ABCDE";  // choice: the option letters
    bool is_truncated = false;           // the text was cut by a length limit: no last_number
};

struct extracted_answer {
    std::string text;     // the answer, canonical (see above)
    extract_rule rule;    // which kind of statement gave it
    bool is_after_think;  // found after the last `</think>`
};

// Returns the final answer of a completion, or nullopt when it states none (or several).
std::optional<extracted_answer> try_extract_answer(std::string_view completion, const extract_options & opt = {});

// Returns the raw content of the last complete `\boxed{...}` / `\fbox{...}`, or nullopt.
std::optional<std::string> try_extract_boxed(std::string_view text);

// The rule's name as used in logs and reports: "boxed", "hash", ...
const char * to_string(extract_rule r);

}  // namespace tts::strategy
