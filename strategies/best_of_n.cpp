// best_of_n: Best-of-N with an intrinsic scorer (docs/strategies.md §10.1, no reward model).
// Rule: spawn k threads, run all to the end, score every finished one — mean token log-prob,
// or self-certainty (here: mean token confidence -mean(top-k log-probs), the top-k
// approximation of Kang et al.'s KL(uniform || p)) — and return the answer of the highest-scoring
// thread with an answer (mode=best; ties to the lowest thread index), or sum scores per answer
// (mode=weighted; weights exp(mean log-prob) or the confidence). Only answered threads are
// candidates (truncated ones too with truncated=vote); a thread's stored confidence is its score.
#include <cmath>

#include "strategies/strategy.h"

namespace tts::strategy {
namespace {

struct best_of_n_params {
    int32_t k = 8;                        // threads sampled; YAML `k`
    std::string scorer = "mean_logprob";  // mean_logprob | self_certainty; YAML `scorer`
    std::string mode = "best";            // best | weighted; YAML `mode`
    finish_policy finish;                 // YAML `truncated`: ignore | vote

    static result<best_of_n_params> from_map(const param_map & m) {
        best_of_n_params p;
        param_reader r(m, "best_of_n");
        r.get("k", p.k, 1, 4096);
        r.get("scorer", p.scorer, {"mean_logprob", "self_certainty"});
        r.get("mode", p.mode, {"best", "weighted"});
        p.finish.read(r);
        if (status s = r.finish(); !s.is_ok()) return s;
        return p;
    }
    status check(const strategy_limits & l) const { return check_threads("best_of_n", k, l); }
};

verdict run_best_of_n(session & s, const problem & pb, const best_of_n_params & p) {
    engine::generation_params gp = s.options().params;
    if (p.scorer == "self_certainty" && gp.sampling.n_top_logprobs == 0) gp.sampling.n_top_logprobs = 20;
    std::vector<thread_id> threads = s.spawn(prompt_of(s, pb), {.n = p.k, .params = gp});
    s.join(threads);

    std::vector<vote_candidate> c;
    std::map<thread_id, double> scores;
    std::optional<size_t> best;
    for (thread_id t : threads) {
        const auto & r = s.thread(t);
        const double score = p.scorer == "mean_logprob" ? std::exp(mean_logprob(r)) : mean_confidence(r);
        scores[t] = score;
        vote_candidate cand = candidate_of(s, t, p.finish, score);
        if (!cand.answer) continue;  // truncated (unless truncated=vote), cancelled, or no answer
        if (!best || cand.weight > c[*best].weight) best = c.size();
        c.push_back(std::move(cand));
    }
    verdict v;
    if (p.mode == "weighted")
        v.votes = vote(c, {vote_score::weight, tie_break::first});
    else if (best)
        v.votes = vote({c[*best]}, tie_break::first);
    v.n_tokens_sequential = longest_chain(s, threads);
    finish_verdict(s, v, scores);
    return v;
}

}  // namespace

strategy_entry best_of_n_strategy() {
    return make_entry<best_of_n_params>("best_of_n", "k chains; the best-scored answer (mean log-prob, self-certainty)",
                                        run_best_of_n);
}

}  // namespace tts::strategy
