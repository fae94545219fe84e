// budget: per-request limits the runtime enforces, and why a thread was stopped.
//
// A budget is checked on the decoding thread as each token event arrives (event_monitor), so
// stopping is exact: when a limit is reached every live thread of the session is cancelled at
// the next step boundary, and the session reports the limit in its status. Plain values.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tts::controller {

struct budget {
    int64_t max_total_tokens = 0;   // generated tokens over all threads (probes included); 0: none
    double max_wall_seconds = 0;    // since the session started; 0: none
    size_t max_kv_bytes = 0;        // estimated live KV: each live prompt once + every live thread's
                                    // own tokens, times decoder_backend::kv_bytes_per_token(); 0: none
    int32_t max_live_threads = 0;   // threads alive at once; spawn/fork start fewer; 0: none
};

// Why the runtime or the strategy stopped a thread (its engine finish reason is `cancelled`).
enum class stop_cause {
    none,              // not stopped by us (finished on its own, or still running)
    strategy,          // the strategy cancelled it (a loser, a finished probe, ...)
    stop_rule,         // stop_after_finished(): m others finished first
    conf_early_stop,   // stop_on_low_confidence(): sliding-window confidence fell below the bar
    pruned_redundant,  // DeepPrune: judged redundant with an existing cluster
    budget_tokens,     // budget::max_total_tokens reached
    budget_wall,       // budget::max_wall_seconds reached
    budget_kv,         // budget::max_kv_bytes reached
    fork_failed,       // the fork's source had ended before the fork was applied
    session_closed,    // the session was destroyed while the thread ran
};
const char * stop_cause_name(stop_cause c);

inline bool is_budget_cause(stop_cause c) {
    return c == stop_cause::budget_tokens || c == stop_cause::budget_wall || c == stop_cause::budget_kv;
}

}  // namespace tts::controller
