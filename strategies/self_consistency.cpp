// self_consistency: majority@k (Wang et al., ICLR 2023; docs/strategies.md §1) and weighted
// variants.
// Rule: spawn k threads, run all to the end, extract answers (no answer: abstain), group by
// answer_key, score each group by its count (weighting=none), by the sum of exp(mean token
// log-prob) (mean_logprob: the paper's normalised weighted sum), or by the sum of DeepConf
// lowest-group confidences (deepconf; §6). Ties: tie_break (default first = lowest thread index
// in the group, as Counter.most_common does). Only answered threads vote (truncated ones too with
// truncated=vote). A thread's stored confidence is its weight.
#include <cmath>

#include <fmt/format.h>

#include "strategies/strategy.h"

namespace tts::strategy {
namespace {

struct self_consistency_params {
    int32_t k = 8;                       // threads sampled; YAML `k`
    std::string weighting = "none";      // none | mean_logprob | deepconf; YAML `weighting`
    int32_t window = 2048;               // deepconf weighting: sliding window in tokens; YAML `window`
    std::string tie = "first";           // first | shortest; YAML `tie`
    finish_policy finish;                // YAML `truncated`: ignore | vote

    static result<self_consistency_params> from_map(const param_map & m) {
        self_consistency_params p;
        param_reader r(m, "self_consistency");
        r.get("k", p.k, 1, 4096);
        r.get("weighting", p.weighting, {"none", "mean_logprob", "deepconf"});
        r.get("window", p.window, 1, 1 << 20);
        r.get("tie", p.tie, {"first", "shortest"});
        p.finish.read(r);
        if (status s = r.finish(); !s.is_ok()) return s;
        return p;
    }
    status check(const strategy_limits & l) const {
        if (weighting == "deepconf" && l.max_tokens > 0 && window > l.max_tokens)
            return param_error(
                "self_consistency", "window",
                fmt::format("a group window of {} tokens is longer than any thread (max_tokens = {}): every "
                            "trace would be scored by its whole-trace mean",
                            window, l.max_tokens));
        return check_threads("self_consistency", k, l);
    }
};

verdict run_self_consistency(session & s, const problem & pb, const self_consistency_params & p) {
    spawn_options o{.n = p.k};
    if (p.weighting == "deepconf") {
        o.params = s.options().params;
        if (o.params->sampling.n_top_logprobs == 0) o.params->sampling.n_top_logprobs = 20;
    }
    std::vector<thread_id> threads = s.spawn(prompt_of(s, pb), o);
    s.join(threads);

    std::vector<vote_candidate> c;
    std::map<thread_id, double> weights;
    for (thread_id t : threads) {
        const auto & r = s.thread(t);
        double w = 1.0;
        if (p.weighting == "mean_logprob") w = std::exp(mean_logprob(r));
        if (p.weighting == "deepconf") w = lowest_group_confidence(r, p.window);
        if (p.weighting != "none") weights[t] = w;
        c.push_back(candidate_of(s, t, p.finish, w));
    }
    verdict v;
    v.votes = vote(c, {p.weighting == "none" ? vote_score::count : vote_score::weight,
                       p.tie == "first" ? tie_break::first : tie_break::shortest});
    v.n_tokens_sequential = longest_chain(s, threads);
    finish_verdict(s, v, weights);
    return v;
}

}  // namespace

strategy_entry self_consistency_strategy() {
    return make_entry<self_consistency_params>("self_consistency", "majority vote over k chains (optionally weighted)",
                                               run_self_consistency);
}

}  // namespace tts::strategy
