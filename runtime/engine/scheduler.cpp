// Scheduling, preemption and sampling: the half of engine that decides what one step computes
// and what its logits become. Decode tokens go first (one per running thread, plus any
// injected tokens), then prefill chunks, oldest request first, under max_step_tokens.
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
    if (v.state != seq_state::paused) v.state = seq_state::prefilling;
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
        if (&o == &s || o.state == seq_state::finished || cache_.table(id).n_blocks() == 0) continue;
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
            if (step_seqs_.empty()) finish(s, finish_reason::kv_exhausted, true);
            return false;
        }
        preempt(*victim);
        if (victim == &s) return false;
    }
    return true;
}

bool engine::schedule() {
    step_seqs_.clear();
    logit_owner_.clear();
    batch_.clear();
    int32_t budget = opt_.max_step_tokens;

    auto add = [&](sequence & s, const std::vector<int32_t> & feed, bool want_logits) {
        const int32_t idx = int32_t(step_seqs_.size());
        step_seqs_.push_back(s.id);
        for (size_t i = 0; i < feed.size(); ++i)
            batch_.add(feed[i], s.n_computed + int32_t(i), idx, want_logits && i + 1 == feed.size());
        logit_owner_.emplace_back(s.id, int32_t(feed.size()));
        budget -= int32_t(feed.size());
    };

    std::vector<int32_t> feed;
    for (auto & [id, s] : seqs_) {
        if (s.state != seq_state::running) continue;
        feed.assign(1, s.pending);
        feed.insert(feed.end(), s.injected.begin(), s.injected.end());
        if (int32_t(feed.size()) > budget && !step_seqs_.empty()) continue;
        if (!reserve_or_preempt(s, int32_t(feed.size()), true)) continue;
        add(s, feed, true);
    }
    std::vector<sequence *> waiting;
    for (auto & [id, s] : seqs_)
        if (s.state == seq_state::prefilling) waiting.push_back(&s);
    std::sort(waiting.begin(), waiting.end(), [](auto * a, auto * b) { return a->order < b->order; });
    for (sequence * s : waiting) {
        if (budget <= 0 || s->state != seq_state::prefilling) continue;
        if (opt_.use_prefix_cache && s->n_computed == 0 && cache_.n_tokens(s->id) == 0)
            s->n_computed = cache_.match_prefix(s->id, s->tokens);
        const int32_t n = std::min<int32_t>(budget, int32_t(s->tokens.size()) - s->n_computed);
        if (n <= 0) continue;
        if (!reserve_or_preempt(*s, n, false)) break;   // first come, first served
        feed.assign(s->tokens.begin() + s->n_computed, s->tokens.begin() + s->n_computed + n);
        const bool last = s->n_computed + n == int32_t(s->tokens.size());
        add(*s, feed, last && s->is_root);
    }
    return !step_seqs_.empty();
}

void engine::sample_and_publish(const std::vector<float> & logits) {
    const int32_t n_vocab = dec_.config().n_vocab;
    size_t row = 0;
    for (auto [id, n_fed] : logit_owner_) {
        sequence & s = seqs_.at(id);
        if (s.state == seq_state::finished) continue;   // cancelled by a sink during this loop
        if (s.state == seq_state::running) {
            s.tokens.push_back(s.pending);
            s.tokens.insert(s.tokens.end(), s.injected.begin(), s.injected.end());
            s.injected.clear();
            s.n_computed += n_fed;
            stats_.n_tokens_decoded += 1;
            token_signals sig;
            const int32_t tok = s.smp.sample(&logits[row++ * n_vocab], n_vocab, &sig);
            emit(s, tok, sig);
            continue;
        }
        // Prefill chunk (a root's prompt or a preempted thread's recompute).
        s.n_computed += n_fed;
        stats_.n_tokens_prefilled += n_fed;
        if (s.n_computed < int32_t(s.tokens.size())) continue;
        if (!s.is_root) {
            s.state = seq_state::running;
            continue;
        }
        if (opt_.use_prefix_cache) cache_.commit_prefix(s.id, s.tokens);
        start_children(s, &logits[row++ * n_vocab]);
    }
}

// The root's prompt is in the cache: each waiting thread forks it and samples its first token.
void engine::start_children(sequence & root, const float * logits) {
    const int32_t n_vocab = dec_.config().n_vocab;
    std::vector<child_spec> children = std::move(root.children);
    root.children.clear();
    for (child_spec & c : children) {
        cache_.fork(root.id, c.id);
        sequence & s = seqs_[c.id];
        s.id = c.id;
        s.thread_index = c.thread_index;
        s.order = next_order_++;
        s.state = seq_state::running;
        s.params = c.params;
        s.smp = sampler(c.params.sampling, c.stream_seed);
        s.sink = root.sink;
        s.tokens = root.tokens;
        s.n_prompt = root.n_prompt;
        s.n_computed = root.n_computed;
        token_signals sig;
        const int32_t tok = s.smp.sample(logits, n_vocab, &sig);
        emit(s, tok, sig);
    }
    finish(root, finish_reason::none, false);
}

// Publishes a freshly sampled token and applies the stop conditions.
void engine::emit(sequence & s, int32_t tok, const token_signals & sig) {
    s.pending = tok;
    ++s.n_generated;
    token_event ev;
    ev.seq = s.id;
    ev.token = tok;
    ev.n_generated = s.n_generated;
    ev.signals = sig;
    const auto & p = s.params;
    if (!p.ignore_eos && dec_.is_end_of_generation(tok)) {
        ev.finish = finish_reason::eos;
    } else if (std::find(p.stop_tokens.begin(), p.stop_tokens.end(), tok) != p.stop_tokens.end()) {
        ev.finish = finish_reason::stop_token;
    } else if (!p.stop_strings.empty()) {
        s.text_tail += dec_.vocab().piece(tok);
        for (const auto & stop : p.stop_strings)
            if (s.text_tail.find(stop) != std::string::npos) ev.finish = finish_reason::stop_string;
        size_t keep = 0;
        for (const auto & stop : p.stop_strings) keep = std::max(keep, stop.size());
        if (s.text_tail.size() > 2 * keep + 64) s.text_tail.erase(0, s.text_tail.size() - keep - 64);
    }
    const int32_t n_ctx = dec_.config().n_ctx_train;
    if (ev.finish == finish_reason::none &&
        (s.n_generated >= p.max_tokens || int32_t(s.tokens.size()) + 1 >= n_ctx))
        ev.finish = finish_reason::max_tokens;
    (*s.sink)(ev);
    if (ev.finish != finish_reason::none) finish(s, ev.finish, false);
}

}  // namespace tts::engine
