// short_m_at_k: "Don't Overthink it" (Hassid et al., arXiv 2505.17813; docs/strategies.md §3).
// Rule: spawn k threads; when the m-th has finished — for reasoning models finished THINKING
// (emitted chat_template::think_end), else answered (EOS/stop) — cancel every thread that has
// not (exactly at the next decode step). A thread truncated at max_tokens does not count (it is
// not done thinking) unless truncated=vote. The m finished continue to EOS; vote among them
// (a counted thread later truncated in its answer abstains unless truncated=vote), ties to the
// answer with the shortest thinking chain, then lowest thread index. Fewer than m ever
// finishing: vote among those that did.
#include "strategies/strategy.h"

namespace tts::strategy {
namespace {

struct short_m_at_k_params {
    int32_t k = 8;         // threads sampled; YAML `k`
    int32_t m = 3;         // finishers voted on (m=1 is a race); YAML `m`; REQUIRES m <= k
    bool think = true;     // reasoning models: count end-of-thinking as finished; YAML `think`
    finish_policy finish;  // YAML `truncated`: ignore | vote (may truncated threads fill slots?)

    static result<short_m_at_k_params> from_map(const param_map & mp) {
        short_m_at_k_params p;
        param_reader r(mp, "short_m_at_k");
        r.get("k", p.k, 1, 4096);
        r.get("m", p.m, 1, 4096);
        r.get("think", p.think);
        p.finish.read(r);
        if (status s = r.finish(); !s.is_ok()) return s;
        if (p.m > p.k)
            return param_error("short_m_at_k", "m", fmt::format("expected m <= k ({}), got \"{}\"", p.k, p.m));
        return p;
    }
    status check(const strategy_limits & l) const { return check_threads("short_m_at_k", k, l); }
};

verdict run_short_m_at_k(session & s, const problem & pb, const short_m_at_k_params & p) {
    spawn_options o{.n = p.k};
    o.rules.stop_after_m = p.m;
    o.rules.on_think_end = p.think;
    o.rules.with_truncated = p.finish.with_truncated;
    std::vector<thread_id> threads = s.spawn(prompt_of(s, pb), o);

    std::vector<thread_id> done;
    while (int32_t(done.size()) < p.m) {
        std::optional<thread_id> f = s.next_finished(threads, p.finish.filter(p.think));  // suspends this fiber only
        if (!f) break;                                                                    // every thread has ended
        done.push_back(*f);
    }
    s.join(threads);   // the m finish their answers; the rest were cancelled by the stop rule

    std::vector<vote_candidate> c;
    for (thread_id t : done) {
        const auto & r = s.thread(t);
        c.push_back(candidate_of(s, t, p.finish, 1.0, r.think_end_at > 0 ? r.think_end_at : r.n_generated));
    }
    verdict v;
    v.votes = vote(c, tie_break::shortest);
    v.n_tokens_sequential = longest_chain(s, threads);
    finish_verdict(s, v);
    return v;
}

}  // namespace

strategy_entry short_m_at_k_strategy() {
    return make_entry<short_m_at_k_params>("short_m_at_k", "k chains; vote among the first m to finish thinking",
                                           run_short_m_at_k);
}

}  // namespace tts::strategy
