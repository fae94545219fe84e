// replay: the lockstep arithmetic of stop-after-m over recorded traces.
#include "strategies/replay.h"

#include <algorithm>

namespace tts::strategy {
namespace {

bool counts_at_think_end(const recorded_trace & t, replay_rules r) {
    return r.on_think_end && t.think_end_at > 0;
}

// Whether the trace counts for a stop rule, and where.
bool counts(const recorded_trace & t, replay_rules r) {
    return counts_at_think_end(t, r) || controller::counts_as_finished(t.finish, r.with_truncated);
}
int64_t finish_point(const recorded_trace & t, replay_rules r) {
    return counts_at_think_end(t, r) ? t.think_end_at : t.n_tokens;
}

// Counting traces in finish order: (finish point, thread index).
std::vector<size_t> finish_order(const std::vector<recorded_trace> & tr, replay_rules r) {
    std::vector<size_t> order;
    for (size_t i = 0; i < tr.size(); ++i)
        if (counts(tr[i], r)) order.push_back(i);
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        const int64_t fa = finish_point(tr[a], r), fb = finish_point(tr[b], r);
        return fa != fb ? fa < fb : tr[a].thread_index < tr[b].thread_index;
    });
    return order;
}

// Token counts when the first m of `order` stop everyone else.
void count_tokens(const std::vector<recorded_trace> & tr, const std::vector<size_t> & order, int32_t m,
                  replay_rules rules, replay_result & r) {
    r.n_tokens.assign(tr.size(), 0);
    const bool fired = int32_t(order.size()) >= m;
    const int64_t cut = fired ? finish_point(tr[order[size_t(m) - 1]], rules) : 0;
    std::vector<bool> in_m(tr.size(), false);
    for (size_t j = 0; j < order.size() && int32_t(j) < m; ++j) in_m[order[j]] = true;
    for (size_t i = 0; i < tr.size(); ++i) {
        r.n_tokens[i] = in_m[i] || !fired ? tr[i].n_tokens : std::min(tr[i].n_tokens, cut);
        r.n_tokens_total += r.n_tokens[i];
    }
}

// A vote candidate; it abstains unless the trace finished (answered, or truncated when allowed).
vote_candidate candidate(const recorded_trace & t, int64_t n_tokens, bool with_truncated) {
    vote_candidate c{std::nullopt, 1.0, n_tokens, t.thread_index};
    if (controller::counts_as_finished(t.finish, with_truncated)) c.answer = t.answer;
    return c;
}

}  // namespace

replay_result replay_short_m_at_k(const std::vector<recorded_trace> & tr, int32_t m, replay_rules rules) {
    replay_result r;
    const std::vector<size_t> order = finish_order(tr, rules);
    count_tokens(tr, order, m, rules, r);
    std::vector<vote_candidate> c;
    for (size_t j = 0; j < order.size() && int32_t(j) < m; ++j) {
        const recorded_trace & t = tr[order[j]];
        c.push_back(candidate(t, finish_point(t, rules), rules.with_truncated));
        r.voters.push_back(t.thread_index);
    }
    r.votes = vote(c, tie_break::shortest);
    if (r.votes.has_winner()) r.answer = r.votes.winner().answer;
    return r;
}

replay_result replay_first_finish(const std::vector<recorded_trace> & tr, bool with_truncated) {
    replay_result r;
    const replay_rules rules{false, with_truncated};
    const std::vector<size_t> order = finish_order(tr, rules);
    count_tokens(tr, order, 1, rules, r);
    // The stop rule fires at the first finish; only threads finishing on that same step are
    // left to fall back on.
    for (size_t i : order) {
        if (tr[i].n_tokens != tr[order[0]].n_tokens) break;
        if (!tr[i].answer) continue;
        r.votes = vote({candidate(tr[i], tr[i].n_tokens, with_truncated)}, tie_break::shortest);
        r.voters.push_back(tr[i].thread_index);
        r.answer = r.votes.winner().answer;
        break;
    }
    return r;
}

replay_result replay_majority(const std::vector<recorded_trace> & tr, int32_t k, bool with_truncated) {
    replay_result r;
    const size_t n = k > 0 ? std::min(tr.size(), size_t(k)) : tr.size();
    std::vector<vote_candidate> c;
    for (size_t i = 0; i < n; ++i) {
        r.n_tokens.push_back(tr[i].n_tokens);
        r.n_tokens_total += tr[i].n_tokens;
        if (!controller::counts_as_finished(tr[i].finish, with_truncated)) continue;
        c.push_back(candidate(tr[i], tr[i].n_tokens, with_truncated));
        r.voters.push_back(tr[i].thread_index);
    }
    r.votes = vote(c, tie_break::first);
    if (r.votes.has_winner()) r.answer = r.votes.winner().answer;
    return r;
}

}  // namespace tts::strategy
