// dataset: a math benchmark read from JSONL, one problem per line, and subsets of it.
//
// A dataset owns its problems. Each problem keeps its 1-based line number in the file as its id,
// so ids stay stable whatever subset is taken. The gold answer is stored as text, as written
// (gsm8k "1,200", aime "025", singleop 14.0 -> "14"): compare it with is_graded_correct() under
// the dataset's grading mode (exact unless the dataset says percent_lenient), never ==.
// Reading is an expected failure path (R4 tier 2): a missing file, a malformed line, a missing
// or mistyped field is a status naming the file, the line and the reason; nothing throws.
// Plain values; not tied to any fiber or thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/base/status.h"

namespace tts::eval {

enum class answer_kind {
    plain,       // the answer field is the answer (string or number)
    gsm8k_hash,  // the answer field is a worked solution ending in "#### <answer>"
};

// How an answer is graded against the gold (strategy::equivalent, strategies/answer/equivalent.h).
enum class grading_mode {
    exact,            // the default, and every known dataset's: equal exact values (2 != 200)
    percent_lenient,  // Qwen2.5-Math's grader: also the gold x 100 or / 100 (45 == 0.45, 2 == 200)
};

// Which JSON fields hold what, and how answers are graded. Defaults read GSM8K.
struct dataset_fields {
    std::string question_field = "question";  // string field holding the problem text
    std::string answer_field = "answer";      // string or number field holding the gold answer
    answer_kind kind = answer_kind::gsm8k_hash;
    grading_mode grading = grading_mode::exact;
};

struct problem {
    int64_t id = 0;        // 1-based line number in the source file
    std::string question;  // the problem text
    std::string answer;    // the gold answer, as text
};

struct dataset {
    std::string path;               // where it was read from (or the name given to try_parse_dataset)
    std::vector<problem> problems;  // in file order; blank lines are skipped
};

// Which problems to keep.
struct subset_spec {
    enum class mode { all, first, random };
    mode how = mode::all;
    size_t n = 0;       // first / random: how many (all of them when n >= size)
    uint64_t seed = 0;  // random: the std::mt19937_64 seed
};

// Reads a JSONL file. Errors: not_found (cannot open), invalid_argument
// ("<path>:<line>: <reason>") for a malformed line, a missing field or a wrong type.
result<dataset> try_read_dataset(const std::string & path, const dataset_fields & fields);

// The same over text already in memory; `name` stands in for the path in messages.
result<dataset> try_parse_dataset(std::string_view text, std::string_view name, const dataset_fields & fields);

// Returns the problems `spec` selects, in file order. Random selection is a partial
// Fisher-Yates over indices driven by std::mt19937_64(seed) with our own unbiased bounded draw
// (not std::uniform_int_distribution, whose output differs between standard libraries), so the
// same seed picks the same problems on every platform.
dataset select_subset(const dataset & d, const subset_spec & spec);

// The field mappings of the datasets in evals/datasets/ ("gsm8k", "multiarith", "singleop",
// "amc23", "aime24"), all graded exactly. Unknown name -> not_found.
result<dataset_fields> try_known_fields(std::string_view dataset_name);

// "exact" / "percent_lenient" (the sweep YAML's `grading:` values); nullopt for anything else.
std::optional<grading_mode> try_parse_grading(std::string_view text);
const char * to_string(grading_mode g);

// Whether `answer` is a correct answer to a problem whose gold answer is `gold`, graded the way
// `g` says. Callers: the sweep runner and the offline replay.
bool is_graded_correct(std::string_view answer, std::string_view gold, grading_mode g);

// The name a dataset file goes by when none is given: its folder's name
// (evals/datasets/multiarith/test.jsonl -> "multiarith"), else the file's stem.
std::string dataset_name_of(const std::string & path);

}  // namespace tts::eval
