// replay: offline FFS, short-m@k and majority@k from the K recorded threads of one problem.
//
// Because a thread's tokens depend only on (model, prompt, sampling, seed, thread index)
// (ARCHITECTURE invariant 4), the first k threads of a recorded self-consistency run with K >= k
// threads are exactly the k threads an online first_finish / short_m_at_k / self_consistency
// run with the same seed would sample. Finish order is (finish point, thread_index): in lockstep
// decoding a shorter thread finishes first, and ties go to the lower index. Threads keep their
// recorded finish class and end-of-thinking position, so the rules count what the online rules
// count (answered; truncated only with truncated=vote; end of thinking for short-m@k's `think`).
// Sequential tokens are the longest thread's generated tokens.
// The per-pool rules (finish order, ties, fallbacks, token accounting) are strategies/replay.h's,
// the same code the online strategies are checked against; this file adapts stored threads to
// them, sweeps m and k, aggregates, and cross-checks online cells. Pure; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "evals/store.h"
#include "strategies/replay.h"
#include "strategies/vote.h"

namespace tts::eval {

struct trace_thread {
    int32_t thread_index = 0;
    int64_t n_tokens = 0;
    std::optional<std::string> answer;
    controller::finish_class finish = controller::finish_class::answered;
    int64_t think_end_at = -1;  // -1: none recorded
};

// A stored thread as a trace (the class from finish_class, or for older files from finish_reason).
trace_thread trace_of(const stored_thread & t);

struct replay_outcome {
    std::optional<std::string> answer;
    int64_t n_tokens_total = 0;
    int64_t n_tokens_sequential = 0;
};

// REQUIRES for all three: 1 <= k <= pool.size(); pool[i].thread_index == i (sorted, dense).
// `rules` are the online strategy's (strategies/replay.h): with_truncated for truncated=vote,
// on_think_end for short-m@k's think (only where end-of-thinking positions are recorded).
// majority@k: vote among threads 0..k-1 once all have finished.
replay_outcome replay_majority(const std::vector<trace_thread> & pool, int k, strategy::replay_rules rules = {});
// FFS over k: the first finisher's answer; when it has none, a same-step finisher's (strategies.md §2.4).
replay_outcome replay_first_finish(const std::vector<trace_thread> & pool, int k, strategy::replay_rules rules = {});
// short-m@k: vote among the first m finishers, ties to the shortest chain. REQUIRES: 1 <= m <= k.
replay_outcome replay_short_m_at_k(const std::vector<trace_thread> & pool, int m, int k,
                                   strategy::replay_rules rules = {});

// One aggregated row: a method at (m, k) over every recorded problem x seed of a dataset.
struct replay_row {
    std::string model, dataset, method;  // method: "majority", "ffs", "short_m_at_k"
    int m = 0, k = 0;                    // m = 0 for majority and ffs
    int64_t n = 0, n_correct = 0;
    double mean_tokens_total = 0, mean_tokens_sequential = 0;
};

// An online cell whose answer differs from the replay of the same threads.
struct replay_disagreement {
    std::string cell_key, method;
    int m = 0, k = 0;
    std::optional<std::string> online_answer, replay_answer;
};

struct replay_summary {
    std::vector<replay_row> rows;
    int64_t n_pools = 0;          // recorded cells used as pools
    int64_t n_compared = 0;       // online cells checked against a replay
    std::vector<replay_disagreement> disagreements;
};

// Replays every done cell of strategy `pool_strategy` (its "sample" threads, or every thread
// when none has that role) for all m <= k <= K with the strategies' default rules (think on,
// truncated ignored), and checks online cells of first_finish, short_m_at_k and (unweighted)
// self_consistency with the same model, dataset, problem and seed under each cell's own
// `think` / `truncated` parameters. Answers are graded exactly, except on the datasets named in
// `percent_lenient_datasets` (sweep entries with `grading: percent_lenient`; see
// percent_lenient_datasets_of).
replay_summary replay_cells(const std::vector<stored_cell> & cells, const std::string & pool_strategy = "self_consistency",
                            const std::set<std::string> & percent_lenient_datasets = {});

// The names of the datasets a stored sweep config (sweep_config::canonical_json) grades with
// `grading: percent_lenient`. Empty for configs written before the key existed (graded exactly).
std::set<std::string> percent_lenient_datasets_of(const std::string & config_json);

std::string replay_markdown(const replay_summary & s);
std::string replay_json(const replay_summary & s);

}  // namespace tts::eval
