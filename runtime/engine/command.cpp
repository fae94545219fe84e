// Applying queued commands (engine thread), and the ways a sequence starts and ends.
#include <algorithm>

#include "runtime/engine/engine.h"

namespace tts::engine {

void engine::apply_commands() {
    std::vector<command> q;
    {
        std::lock_guard lk(mu_);
        q.swap(queue_);
    }
    for (size_t i = 0; i < q.size(); ++i) {
        try {
            std::visit([this](auto & x) { apply(x); }, q[i]);
        } catch (...) {
            // Give the rest back, so fail() can tell their requests.
            std::lock_guard lk(mu_);
            queue_.insert(queue_.begin(), std::make_move_iterator(q.begin() + ptrdiff_t(i) + 1),
                          std::make_move_iterator(q.end()));
            throw;
        }
    }
    end_broken_requests();
}

sequence & engine::make_sequence(seq_id id) {
    sequence & s = seqs_[id];
    s.id = id;
    s.order = next_order_++;
    return s;
}

sequence * engine::find_thread(seq_id id) {
    auto it = seqs_.find(id);
    if (it == seqs_.end() || !it->second.is_live() || it->second.is_root) {
        ++stats_.n_commands_dropped;
        return nullptr;
    }
    return &it->second;
}

// The root prefills p[0..n-1); thread i waits for it holding p[n-1] as its pending token.
void engine::apply(submit_command & c) {
    auto sink = std::make_shared<request_sink>(request_sink{std::move(c.spec.sink)});
    std::vector<int32_t> & prompt = c.spec.prompt;
    sequence & root = make_sequence(c.root);
    root.is_root = true;
    root.state = seq_state::prefilling;
    root.params = c.spec.params;
    root.sink = sink;
    root.tokens.assign(prompt.begin(), prompt.end() - 1);
    cache_.add_sequence(root.id);
    if (opt_.use_prefix_cache) {  // the whole prompt: every cached page of p[0..n-1) may be reused
        root.n_computed = cache_.match_prefix(root.id, prompt);
        stats_.n_prefix_tokens_reused += root.n_computed;
    }
    const int32_t last = prompt.back();
    prompt.pop_back();
    root.pending = last;  // never fed by the root; lets a recompute match the whole prompt
    for (size_t i = 0; i < c.threads.size(); ++i) {
        sequence & s = make_sequence(c.threads[i]);
        s.thread_index = int32_t(i);
        s.state = seq_state::waiting;
        s.params = c.spec.params;
        s.smp = sampler(s.params.sampling, thread_seed(c.spec.seed, i));
        s.sink = sink;
        s.tokens = prompt;
        s.pending = last;
        s.root = root.id;
        root.waiting.push_back(s.id);
    }
    if (root.n_computed == int32_t(root.tokens.size())) on_prefilled(root);  // all cached, or a one-token prompt
}

void engine::apply(fork_command & c) {
    sequence * src = find_thread(c.src);
    if (!src) {
        refuse_fork(c);
        return;
    }
    sequence copy = *src;
    copy.id = c.id;
    copy.order = next_order_++;
    if (c.params) {
        copy.params = *c.params;
        copy.smp.set_params(copy.params.sampling);
    }
    if (c.stream_seed) copy.smp = sampler(copy.params.sampling, *c.stream_seed);
    if (copy.state == seq_state::waiting) {
        seqs_.at(copy.root).waiting.push_back(copy.id);
    } else {
        cache_.fork(src->id, copy.id);
    }
    seqs_.emplace(copy.id, std::move(copy));
}

// A fork whose source is gone gets its one final event, when the source ended in this step or
// the step before (its owner may still be forking it) or is live (the engine is failing).
void engine::refuse_fork(const fork_command & c) {
    std::shared_ptr<request_sink> sink;
    if (auto it = seqs_.find(c.src); it != seqs_.end() && !it->second.is_root)
        sink = it->second.sink;
    else if (auto e = ended_now_.find(c.src); e != ended_now_.end())
        sink = e->second;
    else if (auto b = ended_before_.find(c.src); b != ended_before_.end())
        sink = b->second;
    if (!sink) return;
    sequence gone;
    gone.id = c.id;
    gone.sink = sink;
    token_event ev;
    ev.seq = c.id;
    ev.finish = finish_reason::cancelled;
    publish(gone, ev);
    ended_now_.emplace(c.id, sink);  // a fork of this fork is answered too
}

void engine::apply(cancel_command & c) {
    sequence * s = find_thread(c.id);
    if (!s) return;
    if (s->state == seq_state::waiting) {
        sequence & root = seqs_.at(s->root);
        std::erase(root.waiting, s->id);
        finish(*s, finish_reason::cancelled, true);
        if (root.waiting.empty()) finish(root, finish_reason::cancelled, false);  // nobody needs the prompt
        return;
    }
    finish(*s, finish_reason::cancelled, true);
}

void engine::apply(pause_command & c) {
    if (sequence * s = find_thread(c.id)) s->is_paused = true;
}

void engine::apply(resume_command & c) {
    if (sequence * s = find_thread(c.id)) s->is_paused = false;
}

void engine::apply(inject_command & c) {
    if (sequence * s = find_thread(c.id)) s->injected.insert(s->injected.end(), c.tokens.begin(), c.tokens.end());
}

// The root's K/V are in the cache: every waiting thread forks it and runs (or stays paused).
void engine::start_waiting(sequence & root) {
    for (seq_id id : root.waiting) {
        sequence & s = seqs_.at(id);
        cache_.fork(root.id, id);
        s.n_computed = root.n_computed;
        s.state = seq_state::running;
        s.root = -1;
    }
    root.waiting.clear();
    finish(root, finish_reason::none, false);
}

// Ends s: its final event (when emit), then its pages. A root ends its waiting threads too.
void engine::finish(sequence & s, finish_reason why, bool emit_event) {
    if (!s.is_live()) return;
    s.state = seq_state::finished;  // first: whatever throws below, s ends once
    if (emit_event) {
        token_event ev;
        ev.seq = s.id;
        ev.n_generated = s.n_generated;
        ev.finish = why;
        publish(s, ev);
    }
    for (seq_id id : s.waiting) {
        sequence & w = seqs_.at(id);
        if (w.is_live()) finish(w, why, true);
    }
    s.waiting.clear();
    if (cache_.has_sequence(s.id)) cache_.free(s.id);
    if (on_finish_) on_finish_(s);
}

void engine::publish(sequence & s, const token_event & ev) {
    if (!s.sink || s.sink->is_broken) return;
    try {
        s.sink->fn(ev);
    } catch (...) {
        s.sink->is_broken = true;
        ++stats_.n_sinks_broken;
    }
}

// Threads whose sink threw end silently (their owner can no longer hear them).
void engine::end_broken_requests() {
    if (stats_.n_sinks_broken == 0) return;
    for (auto & [id, s] : seqs_)
        if (s.is_live() && s.sink && s.sink->is_broken) finish(s, finish_reason::cancelled, false);
}

}  // namespace tts::engine
