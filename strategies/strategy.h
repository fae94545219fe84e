// strategy: what every strategy file shares — the problem, the registry entry type, and the
// helpers that turn session threads into answers, scores and a filled verdict.
//
// A strategy is a function of a session (ARCHITECTURE.md): it runs on the controller thread,
// in a fiber or the thread's main context, calls session primitives that suspend only itself,
// and returns a verdict. It never throws: run_strategy() catches anything and reports it in
// verdict.status. Helpers here are pure over a session's records.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "runtime/controller/session.h"
#include "strategies/params.h"
#include "strategies/verdict.h"
#include "strategies/vote.h"

namespace tts::strategy {

using controller::session;
using controller::thread_id;
using controller::spawn_options;
using controller::fork_options;

// One question, and how round 1 put it to the model, so that later prompts (refinements,
// summaries) are rendered the same way: the same system message, the same chat template, the
// same answer format.
struct problem {
    std::string text;             // the user message (the question, with the answer-format instruction)
    std::vector<int32_t> prompt;  // chat-templated tokens of {system, text}; empty: prompt_of() renders them
    std::string system;           // the system message ("" none)
    std::string answer_format;    // the answer-format instruction inside `text` ("" unknown)
};

// A registered strategy: checks its parameters (against the budgets they will run under)
// without running, or runs.
struct strategy_entry {
    std::string name;
    std::string summary;                                                          // one line, for --help
    std::function<status(const param_map &, const strategy_limits &)> validate;
    std::function<result<verdict>(session &, const problem &, const param_map &)> run;
};

// Wraps a params type P (with `static result<P> from_map(const param_map &)` and optionally
// `status check(const strategy_limits &) const`) and a run function into an entry. run()
// checks the parameters against the session's own limits first.
template <typename P>
strategy_entry make_entry(std::string name, std::string summary, verdict (*run)(session &, const problem &, const P &)) {
    strategy_entry e{std::move(name), std::move(summary), {}, {}};
    e.validate = [](const param_map & m, const strategy_limits & l) -> status {
        result<P> p = P::from_map(m);
        if (!p) return p.error();
        if constexpr (requires { p.value().check(l); }) return p.value().check(l);
        return status::ok();
    };
    e.run = [run, validate = e.validate](session & s, const problem & pb, const param_map & m) -> result<verdict> {
        if (status st = validate(m, strategy_limits::of(s.options())); !st.is_ok()) return st;
        return run(s, pb, P::from_map(m).value());
    };
    return e;
}

// The prompt tokens of a problem: p.prompt, or {p.system, p.text} rendered by the chat template.
std::vector<int32_t> prompt_of(session & s, const problem & p);
// Another user message in the problem's conversation setting: the same system message and chat
// template as round 1 (PDR refinements, summaries).
std::vector<int32_t> prompt_like(session & s, const problem & p, std::string_view user_message);

// "<where>.k: ..." when k threads could not all run at once under the limits; ok otherwise.
status check_threads(std::string_view where, int32_t k, const strategy_limits & l);

// The extracted answer of a thread's text (strategies/answer/extract.h), if any; a truncated
// thread's only from a complete answer statement (no last-number fallback).
std::optional<std::string> answer_of(const session & s, thread_id t);

// Scores over a thread's per-token signals.
double mean_logprob(const controller::thread_info & t);            // 0 for an empty thread
double mean_confidence(const controller::thread_info & t);         // mean -mean(top log-probs)
// DeepConf lowest group confidence: min over sliding windows of `window` tokens of the mean
// confidence; the whole-trace mean when shorter than the window.
double lowest_group_confidence(const controller::thread_info & t, int32_t window);
double tail_confidence(const controller::thread_info & t, int32_t window);
double bottom_percent_confidence(const controller::thread_info & t, int32_t window, double percent);

// A vote candidate for thread t (answer, weight, n_tokens, thread_index). It abstains (no
// answer) unless t counts as finished under `f`: answered, or truncated with f.with_truncated.
vote_candidate candidate_of(const session & s, thread_id t, const finish_policy & f, double weight = 1.0,
                            int64_t n_tokens = -1);

// The longest of the threads' generated lengths (their chain when they run side by side).
int64_t longest_chain(const session & s, std::span<const thread_id> threads);

// Fills verdict.threads (every thread of the session; `voted` = its thread index is in the
// vote table; `confidence` = scores[t] when given, else the mean log-prob), the token totals
// (generated, prompt, helper calls, thinking), wall time, KV peak and status, and
// verdict.answer from verdict.votes when it has a winner. Call last; set n_tokens_sequential
// yourself.
void finish_verdict(const session & s, verdict & v, const std::map<thread_id, double> & scores = {});

}  // namespace tts::strategy
