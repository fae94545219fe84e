// vote: majority voting over the answers of a request's reasoning threads (strategies.md §1, §3).
//
// Each thread contributes one vote_candidate. Threads without an answer do not vote. Answers are
// grouped by answer_key() (exact: "1,200", "1200.0" and "$1200" vote together; 45 and 0.45 do
// not). Each group scores its number of votes, or with vote_score::weight the sum of its voters'
// weights (self-consistency weighted variants, DeepConf / RPC weights). The highest score wins;
// ties go to the tie_break rule, and every remaining tie to the lowest thread index, so the
// result is a pure function of the candidates (their order in the input does not matter).
// Pure function; callable from any fiber or thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tts::strategy {

// One thread's contribution.
struct vote_candidate {
    std::optional<std::string> answer;  // extracted answer text; nullopt -> no vote
    double weight = 1.0;                // used by vote_score::weight; must be finite
    int64_t n_tokens = 0;               // the chain's length (tokens generated, or thinking tokens)
    int thread_index = 0;               // the thread's index in its group
};

enum class vote_score {
    count,   // one vote per thread (plain self-consistency)
    weight,  // sum of the voters' weights
};

enum class tie_break {
    shortest,  // the answer whose shortest chain is shortest (short-m@k); then lowest thread index
    first,     // the answer whose lowest voting thread index is lowest (Counter.most_common order)
};

struct vote_options {
    vote_score score = vote_score::count;
    tie_break tie = tie_break::shortest;
};

// One row of the vote table: an equivalence class of answers.
struct vote_entry {
    std::string key;                 // answer_key() of the class
    std::string answer;              // the answer text of the class's lowest-index voter
    int n_votes = 0;                 // voters in the class
    double total_weight = 0.0;       // sum of their weights
    int64_t n_tokens_min = 0;        // shortest chain among them
    int thread_index_min = 0;        // lowest thread index among them
    std::vector<int> thread_indices; // every voter, ascending
};

struct vote_result {
    std::vector<vote_entry> table;  // ranked: table[0] is the winner when there is one
    int n_voters = 0;               // candidates with an answer
    int n_abstained = 0;            // candidates without one

    bool has_winner() const { return !table.empty(); }
    // REQUIRES: has_winner().
    const vote_entry & winner() const { return table.front(); }
};

// Ranks the answers of `candidates`. An empty input or one where no candidate has an answer
// gives an empty table (no winner).
// REQUIRES: every weight is finite.
vote_result vote(const std::vector<vote_candidate> & candidates, const vote_options & opt = {});

// Shorthand for plain counting with the given tie-break: vote(done, tie_break::shortest).
vote_result vote(const std::vector<vote_candidate> & candidates, tie_break tie);

const char * to_string(tie_break t);
const char * to_string(vote_score s);

}  // namespace tts::strategy
