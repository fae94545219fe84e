// replay: what FFS, short-m@k and majority@k would have done, from k recorded full traces.
//
// The engine decodes a request's threads in lockstep (thread i's n-th token comes at step n)
// and a stop rule cancels losers at the next step boundary, so online runs are predictable
// from full traces recorded with the same prompt, params and seed (ARCHITECTURE invariant 4):
//   finish point t_i = the thread's end-of-thinking position (think mode) or its length L_i;
//   M = the first m threads by (t_i, thread index), T = the largest t in M;
//   thread i generates L_i tokens if i in M, else min(L_i, T);
//   short-m@k votes among M (ties: shortest t, then lowest index); FFS takes the first of M
//   with an answer among the threads with t == T... (m = 1, see first_finish.cpp);
//   majority@k votes over all k traces (ties: lowest index).
// Lengths count every generated token, the final EOS included. Pure functions; any thread.
// evals/ uses these to sweep m and k over one recorded pool without decoding again.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "strategies/vote.h"

namespace tts::strategy {

struct recorded_trace {
    int32_t thread_index = 0;
    int64_t n_tokens = 0;                // L_i, EOS included
    int64_t think_end_at = -1;           // tokens up to and including the end-of-thinking marker; -1: none
    bool is_finished = true;             // ended on its own (EOS/stop/max tokens)
    std::optional<std::string> answer;   // extracted from the full text
};

struct replay_result {
    std::optional<std::string> answer;
    vote_result votes;
    std::vector<int32_t> voters;         // thread indices voted on, in finish order
    std::vector<int64_t> n_tokens;       // per trace (input order): tokens it would generate
    int64_t n_tokens_total = 0;
};

// short-m@k over `traces` (the k threads). on_think_end uses think_end_at when present.
replay_result replay_short_m_at_k(const std::vector<recorded_trace> & traces, int32_t m, bool on_think_end);
// First Finish Search: short-1@k on finishes, with the same-step fallback for a missing answer.
replay_result replay_first_finish(const std::vector<recorded_trace> & traces);
// majority@k over the first k traces (k <= size; 0: all). Every trace runs to its end.
replay_result replay_majority(const std::vector<recorded_trace> & traces, int32_t k = 0);

}  // namespace tts::strategy
