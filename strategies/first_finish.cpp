// first_finish: First Finish Search (Agarwal et al., arXiv 2505.18149; docs/strategies.md §2).
// Rule: spawn k threads; the moment one finishes (EOS, stop, or max tokens) cancel all others
// (exactly at the next decode step: the session's stop rule runs on the decoding thread); the
// answer is the first finisher's. Several finishing on the same step: fewest tokens, then
// lowest thread index (that is decode order). A first finisher without an answer falls back to
// the next thread that finished on that same step.
#include "strategies/strategy.h"

namespace tts::strategy {
namespace {

struct first_finish_params {
    int32_t k = 8;   // threads racing; YAML `k`

    static result<first_finish_params> from_map(const param_map & m) {
        first_finish_params p;
        param_reader r(m, "first_finish");
        r.get("k", p.k, 1, 4096);
        if (status s = r.finish(); !s.is_ok()) return s;
        return p;
    }
};

verdict run_first_finish(session & s, const problem & pb, const first_finish_params & p) {
    spawn_options o{.n = p.k};
    o.rules.stop_after_m = 1;   // the race: everyone else stops at the next step
    std::vector<thread_id> threads = s.spawn(prompt_of(s, pb), o);

    std::vector<thread_id> winner;
    while (std::optional<thread_id> f = s.next_finished(threads)) {
        if (answer_of(s, *f)) {
            winner.push_back(*f);
            break;
        }
    }
    s.join(threads);
    verdict v;
    std::vector<vote_candidate> c;
    for (thread_id t : winner) c.push_back(candidate_of(s, t));
    v.votes = vote(c, tie_break::shortest);
    for (thread_id t : threads) v.n_tokens_sequential = std::max<int64_t>(v.n_tokens_sequential, s.thread(t).n_generated);
    finish_verdict(s, v, winner);
    return v;
}

}  // namespace

strategy_entry first_finish_strategy() {
    return make_entry<first_finish_params>("first_finish", "k chains race; the first to finish answers", run_first_finish);
}

}  // namespace tts::strategy
