// strategy: what every strategy file shares — the problem, the registry entry type, and the
// helpers that turn session threads into answers, scores and a filled verdict.
//
// A strategy is a function of a session (ARCHITECTURE.md): it runs on the controller thread,
// in a fiber or the thread's main context, calls session primitives that suspend only itself,
// and returns a verdict. It never throws: run_strategy() catches anything and reports it in
// verdict.status. Helpers here are pure over a session's records.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "runtime/controller/session.h"
#include "strategies/params.h"
#include "strategies/verdict.h"
#include "strategies/vote.h"

namespace tts::strategy {

using controller::session;
using controller::thread_id;
using controller::spawn_options;
using controller::fork_options;

// One question. The prompt is the chat-templated token list; when empty the strategy builds it
// with backend().encode_prompt(text).
struct problem {
    std::string text;
    std::vector<int32_t> prompt;
};

// A registered strategy: checks its parameters without running, or runs.
struct strategy_entry {
    std::string name;
    std::string summary;                                                          // one line, for --help
    std::function<status(const param_map &)> validate;
    std::function<result<verdict>(session &, const problem &, const param_map &)> run;
};

// Wraps a params type P (with `static result<P> from_map(const param_map &)`) and a run
// function into an entry.
template <typename P>
strategy_entry make_entry(std::string name, std::string summary, verdict (*run)(session &, const problem &, const P &)) {
    strategy_entry e{std::move(name), std::move(summary), {}, {}};
    e.validate = [](const param_map & m) {
        result<P> p = P::from_map(m);
        return p ? status::ok() : p.error();
    };
    e.run = [run](session & s, const problem & pb, const param_map & m) -> result<verdict> {
        result<P> p = P::from_map(m);
        if (!p) return p.error();
        return run(s, pb, p.value());
    };
    return e;
}

// The prompt tokens of a problem.
std::vector<int32_t> prompt_of(session & s, const problem & p);

// The extracted answer of a thread's text (strategies/answer/extract.h), if any.
std::optional<std::string> answer_of(const session & s, thread_id t);

// Scores over a thread's per-token signals.
double mean_logprob(const controller::thread_info & t);            // 0 for an empty thread
double mean_confidence(const controller::thread_info & t);         // mean -mean(top log-probs)
// DeepConf lowest group confidence: min over sliding windows of `window` tokens of the mean
// confidence; the whole-trace mean when shorter than the window.
double lowest_group_confidence(const controller::thread_info & t, int32_t window);
double tail_confidence(const controller::thread_info & t, int32_t window);
double bottom_percent_confidence(const controller::thread_info & t, int32_t window, double percent);

// A vote candidate for thread t (answer, weight, n_tokens, thread_index).
vote_candidate candidate_of(const session & s, thread_id t, double weight = 1.0, int64_t n_tokens = -1);

// Fills verdict.threads (every thread of the session, `voted` marked), totals, wall time, KV
// peak and status, and verdict.answer from verdict.votes when it has a winner. Call last.
void finish_verdict(const session & s, verdict & v, const std::vector<thread_id> & voted);

}  // namespace tts::strategy
