// Scheduling and preemption: what one step computes. Decode tokens go first (one per running,
// unpaused thread, plus any injected tokens, in ascending id), then prefill chunks, oldest
// first, under max_step_tokens.
#include <algorithm>

#include "runtime/engine/engine.h"

namespace tts::engine {

// Frees the victim's pages; it recomputes its tokens later (pending token kept), reusing
// cached prompt pages when it is scheduled again. After this the victim holds no page, so a
// reservation loop preempting one victim after another always ends.
void engine::preempt(sequence & v) {
    cache_.free(v.id);
    cache_.add_sequence(v.id);
    v.n_computed = 0;
    v.state = v.tokens.empty() ? seq_state::running : seq_state::prefilling;
    ++v.n_preemptions;
    ++stats_.n_preemptions;
}

// The sequence to preempt for s: among those holding pages and not in this step, the lowest
// priority, then the newest. For a decode, s itself when it ranks below every candidate.
sequence * engine::pick_victim(sequence & s, bool is_decode) {
    auto below = [](const sequence & a, const sequence & b) {   // a is preempted before b
        return a.params.priority != b.params.priority ? a.params.priority < b.params.priority : a.order > b.order;
    };
    sequence * victim = nullptr;
    for (auto & [id, o] : seqs_) {
        if (&o == &s || !o.is_live() || !cache_.has_sequence(id) || cache_.table(id).n_blocks() == 0) continue;
        if (std::find(step_seqs_.begin(), step_seqs_.end(), id) != step_seqs_.end()) continue;
        if (!victim || below(o, *victim)) victim = &o;
    }
    if (is_decode && victim && below(s, *victim)) return &s;
    return victim;
}

// Reserves KV for n more tokens of s. Policy (progress is guaranteed: the oldest running
// thread always advances): a decode may preempt newer threads, or yields itself; a prefill only
// takes free pages, except when nothing else can run this step. False when s must wait; s is
// finished with kv_exhausted when it cannot fit even alone.
bool engine::reserve_or_preempt(sequence & s, int32_t n, bool is_decode) {
    while (!cache_.try_reserve(s.id, n)) {
        if (!is_decode && !step_seqs_.empty()) return false;
        sequence * victim = pick_victim(s, is_decode);
        if (!victim) {
            if (step_seqs_.empty()) finish(s, finish_reason::kv_exhausted, !s.is_root);
            return false;
        }
        preempt(*victim);
        if (victim == &s) return false;
    }
    return true;
}

bool engine::schedule() {
    step_seqs_.clear();
    plan_.clear();
    batch_.clear();
    int32_t budget = opt_.max_step_tokens;

    auto add = [&](sequence & s, const std::vector<int32_t> & feed, bool has_logits) {
        const int32_t idx = int32_t(step_seqs_.size());
        step_seqs_.push_back(s.id);
        for (size_t i = 0; i < feed.size(); ++i)
            batch_.add(feed[i], s.n_computed + int32_t(i), idx, has_logits && i + 1 == feed.size());
        plan_.push_back({s.id, int32_t(feed.size()), has_logits});
        budget -= int32_t(feed.size());
    };

    std::vector<int32_t> feed;
    for (auto & [id, s] : seqs_) {
        if (s.state != seq_state::running || s.is_paused) continue;
        feed.assign(1, s.pending);
        feed.insert(feed.end(), s.injected.begin(), s.injected.end());
        if (int32_t(feed.size()) > budget && !step_seqs_.empty()) continue;
        if (!reserve_or_preempt(s, int32_t(feed.size()), true)) continue;
        add(s, feed, true);
    }
    std::vector<sequence *> prefills;
    for (auto & [id, s] : seqs_)
        if (s.state == seq_state::prefilling && !s.is_paused) prefills.push_back(&s);
    std::sort(prefills.begin(), prefills.end(), [](auto * a, auto * b) { return a->order < b->order; });
    for (sequence * s : prefills) {
        if (budget <= 0 || s->state != seq_state::prefilling) continue;   // preempted ones restart next step
        if (opt_.use_prefix_cache && s->n_computed == 0 && cache_.n_tokens(s->id) == 0) {
            std::vector<int32_t> fed = s->tokens;   // + the token fed next: every cached page of tokens counts
            fed.push_back(s->pending);
            s->n_computed = cache_.match_prefix(s->id, fed);
        }
        const int32_t n = std::min<int32_t>(budget, int32_t(s->tokens.size()) - s->n_computed);
        if (n <= 0) {   // every page came from the prefix cache
            on_prefilled(*s);
            continue;
        }
        if (!reserve_or_preempt(*s, n, false)) break;   // first come, first served
        feed.assign(s->tokens.begin() + s->n_computed, s->tokens.begin() + s->n_computed + n);
        add(*s, feed, false);
    }
    return !step_seqs_.empty();
}

}  // namespace tts::engine
