// finish_class: how a reasoning thread ended, in the four classes strategies, votes, replay and
// reports distinguish (docs/strategies.md §0.3).
//
//   answered   ended on its own: EOS, a stop token or a stop string (for a reasoning model: its
//              thinking closed and its answer segment ended the same way)
//   truncated  cut by a length limit: max_tokens (or the model's context), or a per-request
//              budget (tokens, wall time, KV) — its text is unfinished reasoning
//   cancelled  stopped by the strategy or one of its rules (a race loser, a stop-after-m rule,
//              a low-confidence stop, a pruned trace, a closed session)
//   failed     the runtime could not run it: KV exhausted, a fork whose source had ended, an error
//
// By default only answered threads vote, win a race or fill short-m@k's m slots; a strategy's
// `truncated=vote` parameter lets truncated ones in as well. Cancelled and failed never vote.
// Header-only and pure (also used by the offline replay, which has no runtime).
#pragma once

#include <string_view>

#include "runtime/controller/budget.h"
#include "runtime/engine/sequence.h"

namespace tts::controller {

enum class finish_class {
    running,  // not ended yet
    answered,
    truncated,
    cancelled,
    failed,
};

inline const char * finish_class_name(finish_class c) {
    switch (c) {
    case finish_class::running: return "running";
    case finish_class::answered: return "answered";
    case finish_class::truncated: return "truncated";
    case finish_class::cancelled: return "cancelled";
    case finish_class::failed: return "failed";
    }
    return "?";
}

// The class of an ended thread from its engine finish reason and, for `cancelled`, why we
// cancelled it. finish_reason::none is `running`.
inline finish_class classify_finish(engine::finish_reason r, stop_cause why) {
    using engine::finish_reason;
    switch (r) {
    case finish_reason::none: return finish_class::running;
    case finish_reason::eos:
    case finish_reason::stop_token:
    case finish_reason::stop_string: return finish_class::answered;
    case finish_reason::max_tokens: return finish_class::truncated;
    case finish_reason::kv_exhausted: return finish_class::failed;
    case finish_reason::cancelled: break;
    }
    if (is_budget_cause(why)) return finish_class::truncated;
    return why == stop_cause::fork_failed ? finish_class::failed : finish_class::cancelled;
}

// The class of a stored finish name (thread_info::finish_name(): an engine finish reason name,
// or the stop cause name of a cancelled thread, or "error: ..."). Used for results files
// written before the class was stored.
inline finish_class classify_finish_name(std::string_view name) {
    if (name == "eos" || name == "stop_token" || name == "stop_string") return finish_class::answered;
    if (name == "max_tokens" || name == "budget_tokens" || name == "budget_wall" || name == "budget_kv")
        return finish_class::truncated;
    if (name == "kv_exhausted" || name == "fork_failed" || name.starts_with("error")) return finish_class::failed;
    if (name == "running" || name == "paused" || name.empty()) return finish_class::running;
    return finish_class::cancelled;
}

// Parses finish_class_name()'s output; `running` for anything else.
inline finish_class parse_finish_class(std::string_view name) {
    for (finish_class c :
         {finish_class::answered, finish_class::truncated, finish_class::cancelled, finish_class::failed})
        if (name == finish_class_name(c)) return c;
    return finish_class::running;
}

// Whether a thread of class c counts as finished for votes, races and short-m@k slots.
inline bool counts_as_finished(finish_class c, bool with_truncated) {
    return c == finish_class::answered || (with_truncated && c == finish_class::truncated);
}

}  // namespace tts::controller
