// single: one sampled chain, its answer. The baseline every scaling strategy is compared to.
// Rule: spawn 1 thread, decode to the end, extract the answer (no vote, table of one).
#include "strategies/strategy.h"

namespace tts::strategy {
namespace {

struct single_params {
    // (no parameters: sampling and budgets are session parameters)
    static result<single_params> from_map(const param_map & m) {
        param_reader r(m, "single");
        if (status s = r.finish(); !s.is_ok()) return s;
        return single_params{};
    }
};

verdict run_single(session & s, const problem & pb, const single_params &) {
    verdict v;
    std::vector<thread_id> t = s.spawn(prompt_of(s, pb), {.n = 1});
    s.join(t);
    std::vector<vote_candidate> c;
    for (thread_id id : t) c.push_back(candidate_of(s, id));
    v.votes = vote(c, tie_break::first);
    for (thread_id id : t) v.n_tokens_sequential = s.thread(id).n_generated;
    finish_verdict(s, v, t);
    return v;
}

}  // namespace

strategy_entry single_strategy() { return make_entry<single_params>("single", "one sampled chain", run_single); }

}  // namespace tts::strategy
