// vote: group answers by exact key, score, rank with a deterministic tie-break.
#include "strategies/vote.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "runtime/base/check.h"
#include "strategies/answer/equivalent.h"

namespace tts::strategy {
namespace {

// True when a ranks before b under `opt` (a total order for distinct keys).
bool ranks_before(const vote_entry & a, const vote_entry & b, const vote_options & opt) {
    if (opt.score == vote_score::count && a.n_votes != b.n_votes) return a.n_votes > b.n_votes;
    if (opt.score == vote_score::weight && a.total_weight != b.total_weight) return a.total_weight > b.total_weight;
    if (opt.tie == tie_break::shortest && a.n_tokens_min != b.n_tokens_min) return a.n_tokens_min < b.n_tokens_min;
    if (a.thread_index_min != b.thread_index_min) return a.thread_index_min < b.thread_index_min;
    return a.key < b.key;
}

}  // namespace

vote_result vote(const std::vector<vote_candidate> & candidates, const vote_options & opt) {
    // Visit threads in index order so weight sums (floating point) do not depend on input order.
    std::vector<const vote_candidate *> order;
    order.reserve(candidates.size());
    for (const vote_candidate & c : candidates) {
        TTS_CHECK(std::isfinite(c.weight), "thread %d has a non-finite vote weight", c.thread_index);
        order.push_back(&c);
    }
    std::stable_sort(order.begin(), order.end(),
                     [](const vote_candidate * a, const vote_candidate * b) { return a->thread_index < b->thread_index; });

    vote_result r;
    std::map<std::string, size_t> row_of_key;
    for (const vote_candidate * c : order) {
        std::string key = c->answer ? answer_key(*c->answer) : std::string();
        if (key.empty()) { ++r.n_abstained; continue; }
        ++r.n_voters;
        auto [it, is_new] = row_of_key.try_emplace(key, r.table.size());
        if (is_new) {
            vote_entry e;
            e.key = key;
            e.answer = *c->answer;
            e.n_tokens_min = c->n_tokens;
            e.thread_index_min = c->thread_index;
            r.table.push_back(std::move(e));
        }
        vote_entry & e = r.table[it->second];
        e.n_votes += 1;
        e.total_weight += c->weight;
        e.n_tokens_min = std::min(e.n_tokens_min, c->n_tokens);
        e.thread_indices.push_back(c->thread_index);
    }
    std::sort(r.table.begin(), r.table.end(), [&](const vote_entry & a, const vote_entry & b) { return ranks_before(a, b, opt); });
    return r;
}

vote_result vote(const std::vector<vote_candidate> & candidates, tie_break tie) {
    return vote(candidates, vote_options{vote_score::count, tie});
}

const char * to_string(tie_break t) { return t == tie_break::shortest ? "shortest" : "first"; }

const char * to_string(vote_score s) { return s == vote_score::count ? "count" : "weight"; }

}  // namespace tts::strategy
