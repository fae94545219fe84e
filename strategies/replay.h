// replay: what FFS, short-m@k and majority@k would have done, from k recorded full traces.
//
// The engine decodes a request's threads in lockstep (thread i's n-th token comes at step n)
// and a stop rule cancels losers at the next step boundary, so online runs are predictable
// from full traces recorded with the same prompt, params and seed (ARCHITECTURE invariant 4):
//   a trace counts as finished when it answered (EOS/stop), or was truncated at max_tokens and
//   rules.with_truncated (the strategies' `truncated=vote`), or — think mode — closed its
//   thinking block (controller/finish_class.h; cancelled and failed traces never count);
//   finish point t_i = the end-of-thinking position (think mode, when recorded) or its length L_i;
//   M = the first m counting traces by (t_i, thread index), T = the largest t in M;
//   thread i generates L_i tokens if i in M, else min(L_i, T);
//   short-m@k votes among M — a member abstains unless it counts as finished by its end
//   (answered, or truncated with with_truncated) — ties: shortest t, then lowest index;
//   FFS takes the first of M with an answer among the traces finishing on the same step;
//   majority@k votes over all k traces that count as finished (ties: lowest index).
// Lengths count every generated token, the final EOS included. Lockstep holds without KV
// preemption, with k <= the engine's max_step_tokens and without injected tokens. A trace cut
// by a budget in the recorded run is not known past its cut: when an online rule would let it
// run longer, the replay undercounts it. Pure functions; any thread. evals/ uses these to
// sweep m and k over one recorded pool without decoding again.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "runtime/controller/finish_class.h"
#include "strategies/vote.h"

namespace tts::strategy {

struct recorded_trace {
    int32_t thread_index = 0;
    int64_t n_tokens = 0;                // L_i, EOS included
    int64_t think_end_at = -1;           // tokens up to and including the end-of-thinking marker; -1: none
    controller::finish_class finish = controller::finish_class::answered;
    std::optional<std::string> answer;   // extracted from the full text
};

// The online strategies' counting rules (their `think` and `truncated` parameters).
struct replay_rules {
    bool on_think_end = false;    // short-m@k on a reasoning model: end of thinking counts
    bool with_truncated = false;  // truncated=vote
};

struct replay_result {
    std::optional<std::string> answer;
    vote_result votes;
    std::vector<int32_t> voters;         // thread indices voted on, in finish order
    std::vector<int64_t> n_tokens;       // per trace (input order): tokens it would generate
    int64_t n_tokens_total = 0;
};

// short-m@k over `traces` (the k threads).
replay_result replay_short_m_at_k(const std::vector<recorded_trace> & traces, int32_t m, replay_rules rules = {});
// First Finish Search: short-1@k on finishes, with the same-step fallback for a missing answer.
replay_result replay_first_finish(const std::vector<recorded_trace> & traces, bool with_truncated = false);
// majority@k over the first k traces (k <= size; 0: all). Every trace runs to its end.
replay_result replay_majority(const std::vector<recorded_trace> & traces, int32_t k = 0, bool with_truncated = false);

}  // namespace tts::strategy
