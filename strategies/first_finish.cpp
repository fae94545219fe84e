// first_finish: First Finish Search (Agarwal et al., arXiv 2505.18149; docs/strategies.md §2).
// Rule: spawn k threads; the moment one answers (EOS or a stop; a truncation at max_tokens only
// with truncated=vote) cancel all others (exactly at the next decode step: the session's stop
// rule runs on the decoding thread); the answer is the first finisher's. Several finishing on
// the same step: fewest tokens, then lowest thread index (that is decode order). A first
// finisher without an answer falls back to the next thread that finished on that same step.
// Nobody answering (every thread truncated): no answer.
#include "strategies/strategy.h"

namespace tts::strategy {
namespace {

struct first_finish_params {
    int32_t k = 8;         // threads racing; YAML `k`
    finish_policy finish;  // YAML `truncated`: ignore | vote (may a truncated thread win?)

    static result<first_finish_params> from_map(const param_map & m) {
        first_finish_params p;
        param_reader r(m, "first_finish");
        r.get("k", p.k, 1, 4096);
        p.finish.read(r);
        if (status s = r.finish(); !s.is_ok()) return s;
        return p;
    }
    status check(const strategy_limits & l) const { return check_threads("first_finish", k, l); }
};

verdict run_first_finish(session & s, const problem & pb, const first_finish_params & p) {
    spawn_options o{.n = p.k};
    o.rules.stop_after_m = 1;   // the race: everyone else stops at the next step
    o.rules.with_truncated = p.finish.with_truncated;
    std::vector<thread_id> threads = s.spawn(prompt_of(s, pb), o);

    std::vector<vote_candidate> c;
    while (std::optional<thread_id> f = s.next_finished(threads, p.finish.filter())) {
        c = {candidate_of(s, *f, p.finish)};
        if (c[0].answer) break;
    }
    s.join(threads);
    verdict v;
    v.votes = vote(c, tie_break::shortest);
    v.n_tokens_sequential = longest_chain(s, threads);
    finish_verdict(s, v);
    return v;
}

}  // namespace

strategy_entry first_finish_strategy() {
    return make_entry<first_finish_params>("first_finish", "k chains race; the first to finish answers", run_first_finish);
}

}  // namespace tts::strategy
