// trace_judge: asks a model whether two unfinished reasoning traces will reach the same answer.
//
// DeepPrune's judge slot (docs/strategies.md §4, P11) without training: the judge is any
// instruct GGUF — the session's own model by default ("the same weights with another
// prompt"), or another file through controller::try_get_aux_backend. It sees the problem and
// the beginnings of both traces and greedy-decodes a short reply; a reply starting with "yes"
// (case-insensitive, after spaces) means "same answer". With the session's own model the judge
// prompts are ordinary threads of the session (role "judge": counted in its tokens and
// verdict); with another model they run in a session of their own on that model, and their
// tokens are reported through n_tokens_own_session().
//
// Threading: the strategy's fiber, like the session it was given.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "strategies/strategy.h"

namespace tts::strategy {

struct trace_judge_options {
    std::string model;            // GGUF path; empty: the session's own model
    int32_t reply_tokens = 3;     // greedy tokens of the reply
    int32_t trace_chars = 1200;   // each trace is cut to its first this many characters
};

class trace_judge {
public:
    // Fails when `o.model` cannot be loaded (the error names the file).
    static result<std::unique_ptr<trace_judge>> open(session & s, const trace_judge_options & o);

    // For each candidate b in `others`: does the judge expect `a` and b to end with the same
    // answer? All prompts run at once; suspends the calling fiber until every reply is in.
    std::vector<bool> same_answer(const std::string & problem, const std::string & a,
                                  const std::vector<std::string> & others);

    // Tokens the judge generated in its own session (0 when it shares the caller's).
    int64_t n_tokens_own_session() const;
    // Prompt tokens the judge's own session was fed (0 when it shares the caller's).
    int64_t n_tokens_prompt_own_session() const;
    // Sum over same_answer() calls of the longest reply (the calls wait one after another).
    int64_t n_tokens_sequential() const { return n_sequential_; }

    // The prompt shown to the judge (exposed for tests and docs).
    static std::string prompt(const std::string & problem, const std::string & a, const std::string & b, int32_t chars);
    // Whether a reply means "same".
    static bool is_yes(const std::string & reply);

private:
    trace_judge(session & s, trace_judge_options o, std::unique_ptr<session> own)
        : s_(s), o_(std::move(o)), own_(std::move(own)) {}

    session & s_;                      // the strategy's session
    trace_judge_options o_;
    std::unique_ptr<session> own_;     // the judge model's session, when it is another model
    int64_t n_sequential_ = 0;
};

}  // namespace tts::strategy
