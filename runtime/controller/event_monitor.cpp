// event_monitor: exact, engine-thread-side rules and accounting for one session.
#include "runtime/controller/event_monitor.h"

#include <algorithm>
#include <cmath>

namespace tts::controller {

const char * stop_cause_name(stop_cause c) {
    switch (c) {
    case stop_cause::none: return "none";
    case stop_cause::strategy: return "aborted_by_strategy";
    case stop_cause::stop_rule: return "stopped_after_m_finished";
    case stop_cause::conf_early_stop: return "conf_early_stop";
    case stop_cause::pruned_redundant: return "pruned_redundant";
    case stop_cause::budget_tokens: return "budget_tokens";
    case stop_cause::budget_wall: return "budget_wall";
    case stop_cause::budget_kv: return "budget_kv";
    case stop_cause::fork_failed: return "fork_failed";
    case stop_cause::session_closed: return "session_closed";
    }
    return "?";
}

event_monitor::event_monitor(decoder_backend & be, const budget & b, std::shared_ptr<event_queue<session_event>> out)
    : be_(be), budget_(b), out_(std::move(out)), think_end_(be.think_end_token()),
      kv_per_token_(be.kv_bytes_per_token()) {
    if (b.max_wall_seconds > 0)
        deadline_ = clock::now() + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(b.max_wall_seconds));
}

std::vector<seq_id> event_monitor::submit(engine::request_spec spec, thread_id tid0, size_t prompt_len, const spawn_rules & rules) {
    std::lock_guard lk(mu_);
    if (budget_hit_ != stop_cause::none) return {};
    std::vector<seq_id> ids = be_.submit(std::move(spec));
    if (ids.empty()) return ids;
    groups_.emplace_back(prompt_len, int32_t(ids.size()));
    for (size_t i = 0; i < ids.size(); ++i) {
        watch & w = seqs_[ids[i]];
        w.tid = tid0 + thread_id(i);
        w.group = int32_t(groups_.size()) - 1;
        w.pause_at = rules.pause_at;
        if (rules.conf_window > 0) {
            w.conf_window = rules.conf_window;
            w.conf_threshold = rules.conf_threshold;
            w.ring.assign(size_t(rules.conf_window), 0.0);
        }
    }
    if (rules.stop_after_m > 0)
        stop_after_finished_locked(ids, rules.stop_after_m, rules.on_think_end, rules.with_truncated);
    n_live_ += int32_t(ids.size());
    kv_peak_ = std::max(kv_peak_, kv_live_locked());
    return ids;
}

std::optional<seq_id> event_monitor::fork(thread_id tid, seq_id src, std::optional<uint64_t> seed,
                                          std::optional<engine::generation_params> params,
                                          std::vector<int32_t> inject, int32_t max_new_tokens) {
    std::lock_guard lk(mu_);
    auto it = seqs_.find(src);
    // A source we already cancelled (w.cause set) would end before the fork applies.
    if (it == seqs_.end() || it->second.is_ended || it->second.cause != stop_cause::none ||
        budget_hit_ != stop_cause::none || (params && !engine::is_valid(*params)))
        return std::nullopt;
    watch & s = it->second;
    if (max_new_tokens > 0 && params) params->max_tokens = s.n_generated + max_new_tokens;
    be_.pause(src);
    const seq_id f = be_.fork(src, seed, std::move(params));
    TTS_CHECK(f >= 0, "fork refused valid params");
    if (!inject.empty()) be_.inject(f, std::move(inject));
    be_.resume(f);
    watch & w = seqs_[f];
    w.tid = tid;
    w.group = seqs_[src].group;
    w.parent = src;
    w.n_generated = seqs_[src].n_generated;
    groups_[size_t(w.group)].second++;
    n_live_++;
    return f;
}

void event_monitor::cancel_locked(seq_id s, watch & w, stop_cause why) {
    if (w.is_ended || w.cause != stop_cause::none) return;
    w.cause = why;
    be_.cancel(s);
}

void event_monitor::cancel(seq_id s, stop_cause why) {
    std::lock_guard lk(mu_);
    if (auto it = seqs_.find(s); it != seqs_.end()) cancel_locked(s, it->second, why);
}

void event_monitor::cancel_all_locked(stop_cause why) {
    for (auto & [s, w] : seqs_) cancel_locked(s, w, why);
}

void event_monitor::cancel_all(stop_cause why) {
    std::lock_guard lk(mu_);
    cancel_all_locked(why);
}

void event_monitor::pause(seq_id s) { std::lock_guard lk(mu_); be_.pause(s); }
void event_monitor::resume(seq_id s) { std::lock_guard lk(mu_); be_.resume(s); }

void event_monitor::pause_at(seq_id s, int32_t n) {
    std::lock_guard lk(mu_);
    if (auto it = seqs_.find(s); it != seqs_.end()) it->second.pause_at = n;
}

void event_monitor::stop_after_finished(const std::vector<seq_id> & group, int32_t m, bool on_think_end,
                                        bool with_truncated) {
    std::lock_guard lk(mu_);
    stop_after_finished_locked(group, m, on_think_end, with_truncated);
}

void event_monitor::stop_after_finished_locked(const std::vector<seq_id> & group, int32_t m, bool on_think_end,
                                               bool with_truncated) {
    rules_.push_back({m, on_think_end && think_end_.has_value(), with_truncated, false, 0});
    const int32_t rule = int32_t(rules_.size()) - 1;
    for (seq_id s : group) {
        auto it = seqs_.find(s);
        if (it == seqs_.end()) continue;
        watch & w = it->second;
        w.rule = rule;
        w.is_counted = false;
        // Threads that already finished (or finished thinking) count at once.
        const bool counts = w.is_ended ? counts_as_finished(classify_finish(w.finish, w.cause), with_truncated)
                                       : rules_[size_t(rule)].on_think_end && w.is_thought;
        if (counts) count_locked(w);
    }
}

void event_monitor::stop_on_low_confidence(seq_id s, int32_t window, double threshold) {
    std::lock_guard lk(mu_);
    auto it = seqs_.find(s);
    if (it == seqs_.end() || window < 1) return;
    it->second.conf_window = window;
    it->second.conf_threshold = threshold;
    it->second.ring.assign(size_t(window), 0.0);
}

bool event_monitor::check_wall_budget() {
    std::lock_guard lk(mu_);
    if (!deadline_ || clock::now() < *deadline_) return false;
    if (budget_hit_ == stop_cause::none) budget_hit_ = stop_cause::budget_wall;
    cancel_all_locked(stop_cause::budget_wall);
    return true;
}

int64_t event_monitor::n_tokens_total() const { std::lock_guard lk(mu_); return n_tokens_total_; }
size_t event_monitor::kv_bytes_peak() const { std::lock_guard lk(mu_); return kv_peak_; }
int32_t event_monitor::n_threads_live() const { std::lock_guard lk(mu_); return n_live_; }
stop_cause event_monitor::budget_hit() const { std::lock_guard lk(mu_); return budget_hit_; }

size_t event_monitor::kv_live_locked() const {
    size_t tokens = size_t(n_tokens_live_own_);
    for (auto [prompt, live] : groups_)
        if (live > 0) tokens += prompt;
    return tokens * kv_per_token_;
}

void event_monitor::end_locked(seq_id s, watch & w) {
    w.is_ended = true;
    n_tokens_live_own_ -= w.n_own;
    groups_[size_t(w.group)].second--;
    n_live_--;
}

// A thread of a stop rule's group finished (or finished thinking): count it, and once m have,
// cancel every member that has not.
void event_monitor::count_locked(watch & w) {
    if (w.rule < 0 || w.is_counted) return;
    stop_rule & r = rules_[size_t(w.rule)];
    if (r.is_fired || r.m < 1) return;
    w.is_counted = true;
    if (++r.n_counted < r.m) return;
    r.is_fired = true;
    for (auto & [o, ow] : seqs_)
        if (ow.rule == w.rule && !ow.is_counted) cancel_locked(o, ow, stop_cause::stop_rule);
}

void event_monitor::check_budgets_locked() {
    stop_cause hit = stop_cause::none;
    if (budget_.max_total_tokens > 0 && n_tokens_total_ >= budget_.max_total_tokens) hit = stop_cause::budget_tokens;
    else if (deadline_ && clock::now() >= *deadline_) hit = stop_cause::budget_wall;
    else if (budget_.max_kv_bytes > 0 && kv_live_locked() > budget_.max_kv_bytes) hit = stop_cause::budget_kv;
    if (hit == stop_cause::none) return;
    if (budget_hit_ == stop_cause::none) budget_hit_ = hit;
    cancel_all_locked(hit);
}

void event_monitor::on_event(const engine::token_event & ev) {
    std::lock_guard lk(mu_);
    auto it = seqs_.find(ev.seq);
    if (it == seqs_.end() || it->second.is_ended) return;
    watch & w = it->second;
    if (!w.has_event) {
        w.has_event = true;
        // A fork whose source ended before the fork applied: the decoder's one final event.
        if (w.parent >= 0 && ev.token < 0 && w.cause == stop_cause::none) w.cause = stop_cause::fork_failed;
    }
    session_event out;
    out.ev = ev;
    out.thread = w.tid;
    bool is_thinking_end = false;
    if (ev.token >= 0) {
        ++n_tokens_total_;
        ++n_tokens_live_own_;
        ++w.n_own;
        w.n_generated = ev.n_generated;
        kv_peak_ = std::max(kv_peak_, kv_live_locked());
        if (!ev.signals.top.empty()) {
            double sum = 0;
            for (auto & [id, lp] : ev.signals.top) sum += lp;
            out.confidence = double(float(-sum / double(ev.signals.top.size())));   // as the record stores it
        }
        if (think_end_ && ev.token == *think_end_ && !w.is_thought) is_thinking_end = w.is_thought = true;
        if (w.conf_window > 0 && ev.finish == engine::finish_reason::none) {
            const size_t n = w.ring.size();
            w.ring_sum += out.confidence - w.ring[w.ring_pos % n];
            w.ring[w.ring_pos % n] = out.confidence;
            ++w.ring_pos;
            // The slack absorbs the rounding of the running sum, so a trace exactly at the bar
            // (a warm-up trace's own score) is not stopped.
            const double slack = 1e-6 * std::max(1.0, std::abs(w.conf_threshold));
            if (w.ring_pos >= n && w.ring_sum / double(n) < w.conf_threshold - slack)
                cancel_locked(ev.seq, w, stop_cause::conf_early_stop);
        }
    }
    // End of thinking counts for an on_think_end rule even on the thread's last token.
    if (is_thinking_end && w.rule >= 0 && rules_[size_t(w.rule)].on_think_end) count_locked(w);
    if (ev.finish != engine::finish_reason::none) {
        if (ev.finish == engine::finish_reason::cancelled) out.cause = w.cause;
        w.finish = ev.finish;
        end_locked(ev.seq, w);
        const bool with_truncated = w.rule >= 0 && rules_[size_t(w.rule)].with_truncated;
        if (counts_as_finished(classify_finish(ev.finish, w.cause), with_truncated)) count_locked(w);
    } else {
        if (w.pause_at >= 0 && ev.n_generated == w.pause_at && w.cause == stop_cause::none) {
            be_.pause(ev.seq);
            out.is_paused = true;
        }
    }
    check_budgets_locked();
    out_->push(std::move(out));
}

}  // namespace tts::controller
