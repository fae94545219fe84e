// What a step's logits become: sampled tokens, stop conditions, token events; and what a
// finished prefill starts.
#include <algorithm>

#include "runtime/engine/engine.h"

namespace tts::engine {

void engine::sample_and_publish() {
    const int32_t n_vocab = dec_.config().n_vocab;
    size_t row = 0;
    for (const planned & p : plan_) {
        const float * logits = p.has_logits ? &logits_[row++ * size_t(n_vocab)] : nullptr;
        sequence & s = seqs_.at(p.id);
        if (!s.is_live()) continue;  // its request's sink broke earlier in this loop
        s.n_computed += p.n_fed;
        if (s.state == seq_state::running) {
            s.tokens.push_back(s.pending);
            s.tokens.insert(s.tokens.end(), s.injected.begin(), s.injected.end());
            stats_.n_tokens_decoded += 1;
            token_signals sig;
            const int32_t tok = s.smp.sample(logits, n_vocab, &sig);
            emit(s, tok, sig, std::move(s.injected));
            s.injected.clear();
            continue;
        }
        // A prefill chunk (a root's prompt or a preempted thread's recompute).
        stats_.n_tokens_prefilled += p.n_fed;
        if (s.n_computed == int32_t(s.tokens.size())) on_prefilled(s);
    }
}

// A root's prompt is cached: its threads start. A recomputed thread runs again.
void engine::on_prefilled(sequence & s) {
    if (!s.is_root) {
        s.state = seq_state::running;
        return;
    }
    if (opt_.use_prefix_cache) cache_.commit_prefix(s.id, s.tokens);
    start_waiting(s);
}

// Publishes a freshly sampled token and applies the stop conditions.
void engine::emit(sequence & s, int32_t tok, const token_signals & sig, std::vector<int32_t> injected) {
    s.pending = tok;
    ++s.n_generated;
    token_event ev;
    ev.seq = s.id;
    ev.token = tok;
    ev.n_generated = s.n_generated;
    ev.signals = sig;
    ev.injected = std::move(injected);
    const auto & p = s.params;
    if (!p.ignore_eos && dec_.is_end_of_generation(tok)) {
        ev.finish = finish_reason::eos;
    } else if (std::find(p.stop_tokens.begin(), p.stop_tokens.end(), tok) != p.stop_tokens.end()) {
        ev.finish = finish_reason::stop_token;
    } else if (!p.stop_strings.empty()) {
        if (tok < dec_.vocab().n_tokens()) s.text_tail += dec_.vocab().piece(tok);  // padded output rows have no text
        for (const auto & stop : p.stop_strings)
            if (s.text_tail.find(stop) != std::string::npos) ev.finish = finish_reason::stop_string;
        size_t keep = 0;
        for (const auto & stop : p.stop_strings) keep = std::max(keep, stop.size());
        if (s.text_tail.size() > 2 * keep + 64) s.text_tail.erase(0, s.text_tail.size() - keep - 64);
    }
    const int32_t n_ctx = dec_.config().n_ctx_train;
    if (ev.finish == finish_reason::none && (s.n_generated >= p.max_tokens || int32_t(s.tokens.size()) + 1 >= n_ctx))
        ev.finish = finish_reason::max_tokens;
    publish(s, ev);
    if (ev.finish != finish_reason::none) finish(s, ev.finish, false);
}

}  // namespace tts::engine
