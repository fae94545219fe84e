// single: one sampled chain, its answer. The baseline every scaling strategy is compared to.
// Rule: spawn 1 thread, decode to the end, extract the answer (no vote, table of one). A thread
// truncated at max_tokens (or by a budget) has no answer unless truncated=vote.
#include "strategies/strategy.h"

namespace tts::strategy {
namespace {

struct single_params {
    finish_policy finish;  // YAML `truncated`: ignore | vote (sampling and budgets are session parameters)

    static result<single_params> from_map(const param_map & m) {
        single_params p;
        param_reader r(m, "single");
        p.finish.read(r);
        if (status s = r.finish(); !s.is_ok()) return s;
        return p;
    }
};

verdict run_single(session & s, const problem & pb, const single_params & p) {
    verdict v;
    std::vector<thread_id> t = s.spawn(prompt_of(s, pb), {.n = 1});
    s.join(t);
    std::vector<vote_candidate> c;
    for (thread_id id : t) c.push_back(candidate_of(s, id, p.finish));
    v.votes = vote(c, tie_break::first);
    v.n_tokens_sequential = longest_chain(s, t);
    finish_verdict(s, v);
    return v;
}

}  // namespace

strategy_entry single_strategy() { return make_entry<single_params>("single", "one sampled chain", run_single); }

}  // namespace tts::strategy
