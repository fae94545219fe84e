// session: thread records fed by the pump fiber, and the waits strategies block on.
#include "runtime/controller/session.h"

#include <algorithm>

#include <boost/fiber/operations.hpp>

namespace tts::controller {

std::string thread_info::finish_name() const {
    if (!is_ended) return is_paused ? "paused" : "running";
    if (finish == engine::finish_reason::cancelled && cause != stop_cause::none) return stop_cause_name(cause);
    return engine::finish_reason_name(finish);
}

session::session(decoder_backend & be, session_options opt)
    : be_(be), opt_(std::move(opt)), t0_(std::chrono::steady_clock::now()),
      queue_(std::make_shared<event_queue<session_event>>()),
      mon_(std::make_shared<event_monitor>(be, opt_.limits, queue_)) {
    pump_ = boost::fibers::fiber(opt_.launch, [this] { pump(); });
}

session::~session() {
    mon_->cancel_all(stop_cause::session_closed);
    // Waits for the cancels to land, so no thread outlives its session in the decoder.
    wait([&] { return std::all_of(threads_.begin(), threads_.end(), [](const thread_info & t) { return t.is_ended; }); });
    queue_->close();
    if (pump_.joinable()) pump_.join();
}

// Yields to the thread's other fibers every k_pump_batch events: while a decoder floods the
// queue (thousands of threads, or a scripted decoder), pop() never suspends, and without the
// yield the strategy fiber, a server's connections and a caller's abort() would wait until
// the flood ends.
void session::pump() {
    constexpr int k_pump_batch = 64;
    session_event e;
    for (int n = 1; queue_->pop(e); ++n) {
        {
            std::lock_guard lk(mu_);
            apply(e);
        }
        cv_.notify_all();
        if (n % k_pump_batch == 0) boost::this_fiber::yield();
    }
}

void session::apply(const session_event & e) {
    if (e.thread < 0 || size_t(e.thread) >= threads_.size()) return;
    thread_info & t = threads_[size_t(e.thread)];
    if (t.is_ended) return;
    const auto & ev = e.ev;
    t.tokens.insert(t.tokens.end(), ev.injected.begin(), ev.injected.end());   // where the engine fed them
    if (ev.token >= 0) {
        t.tokens.push_back(ev.token);
        t.logprobs.push_back(ev.signals.logprob);
        t.confidences.push_back(float(e.confidence));
        ++t.n_generated;
        const auto think = be_.think_end_token();
        if (think && ev.token == *think && t.think_end_at < 0) {
            t.think_end_at = t.n_generated;
            think_order_.push_back(t.id);
        }
    }
    if (e.is_paused) t.is_paused = true;
    if (ev.finish != engine::finish_reason::none) {
        t.is_ended = true;
        t.is_paused = false;
        t.finish = ev.finish;
        t.cause = e.cause;
        const finish_class k = t.kind();
        if (k == finish_class::answered || k == finish_class::truncated) {
            finish_order_.push_back(t.id);
            if (t.think_end_at < 0) think_order_.push_back(t.id);
        }
    }
}

template <typename Pred>
void session::wait(Pred done) {
    std::unique_lock lk(mu_);
    while (!done()) {
        if (auto d = mon_->deadline()) {
            if (cv_.wait_until(lk, *d) == boost::fibers::cv_status::timeout) {
                lk.unlock();
                mon_->check_wall_budget();
                lk.lock();
                // Cancels land as events; keep waiting for them (no deadline now).
                while (!done()) cv_.wait(lk);
                return;
            }
        } else {
            cv_.wait(lk);
        }
    }
}

std::vector<thread_id> session::spawn(const std::vector<int32_t> & prompt, const spawn_options & o) {
    int32_t n = o.n;
    if (opt_.limits.max_live_threads > 0) n = std::min(n, opt_.limits.max_live_threads - mon_->n_threads_live());
    if (n < 1 || prompt.empty() || is_aborted_) return {};
    const uint64_t seed = o.seed ? *o.seed
                          : n_spawns_ == 0 ? opt_.seed
                                           : opt_.seed ^ (0x9E3779B97F4A7C15ull * uint64_t(n_spawns_));
    ++n_spawns_;
    engine::request_spec spec;
    spec.prompt = prompt;
    spec.params = o.params ? *o.params : opt_.params;
    spec.n_threads = n;
    spec.seed = seed;
    std::shared_ptr<event_monitor> mon = mon_;
    spec.sink = [mon](const engine::token_event & ev) { mon->on_event(ev); };
    const thread_id tid0 = thread_id(threads_.size());
    std::lock_guard lk(mu_);   // the pump must not see events for records not yet created
    std::vector<seq_id> seqs = mon_->submit(std::move(spec), tid0, prompt.size(), o.rules);
    std::vector<thread_id> out;
    for (size_t i = 0; i < seqs.size(); ++i) {
        thread_info & t = threads_.emplace_back();
        t.n_tokens_prompt = i == 0 ? int32_t(prompt.size()) : 0;
        t.id = tid0 + thread_id(i);
        t.seq = seqs[i];
        t.thread_index = t.id;
        t.role = o.role;
        out.push_back(t.id);
    }
    return out;
}

std::optional<thread_id> session::fork(thread_id src, const fork_options & o) {
    if (is_aborted_) return std::nullopt;
    if (opt_.limits.max_live_threads > 0 && mon_->n_threads_live() >= opt_.limits.max_live_threads) return std::nullopt;
    std::lock_guard lk(mu_);
    thread_info & s = threads_.at(size_t(src));
    if (s.is_ended) return std::nullopt;
    const thread_id tid = thread_id(threads_.size());
    std::optional<engine::generation_params> params = o.params;
    if (o.max_new_tokens > 0 && !params) params = opt_.params;
    std::optional<seq_id> seq = mon_->fork(tid, s.seq, o.seed, params, o.inject, o.max_new_tokens);
    if (!seq) return std::nullopt;
    s.is_paused = true;
    thread_info & t = threads_.emplace_back();
    t.id = tid;
    t.seq = *seq;
    t.thread_index = tid;
    t.role = o.role;
    t.parent = src;
    t.n_tokens_prompt = int32_t(o.inject.size());   // its tokens arrive on its first event (ev.injected)
    return tid;
}

void session::cancel(thread_id t, stop_cause why) { mon_->cancel(threads_.at(size_t(t)).seq, why); }
void session::cancel(std::span<const thread_id> ts, stop_cause why) {
    for (thread_id t : ts) cancel(t, why);
}
void session::abort(stop_cause why) {
    is_aborted_ = true;
    mon_->cancel_all(why);
}
void session::pause(thread_id t) {
    threads_.at(size_t(t)).is_paused = true;
    mon_->pause(threads_[size_t(t)].seq);
}
void session::resume(thread_id t) {
    threads_.at(size_t(t)).is_paused = false;
    mon_->resume(threads_[size_t(t)].seq);
}
void session::inject(thread_id t, std::vector<int32_t> tokens) {
    thread_info & r = threads_.at(size_t(t));
    if (r.is_ended) return;
    r.n_tokens_prompt += int32_t(tokens.size());   // the tokens arrive on the next event (ev.injected)
    be_.inject(r.seq, std::move(tokens));
}

void session::pause_at(thread_id t, int32_t n) { mon_->pause_at(threads_.at(size_t(t)).seq, n); }

void session::stop_after_finished(std::span<const thread_id> group, int32_t m, finish_filter f) {
    std::vector<seq_id> seqs;
    for (thread_id t : group) seqs.push_back(threads_.at(size_t(t)).seq);
    mon_->stop_after_finished(seqs, m, f.on_think_end, f.with_truncated);
}

void session::stop_on_low_confidence(thread_id t, int32_t window, double threshold) {
    mon_->stop_on_low_confidence(threads_.at(size_t(t)).seq, window, threshold);
}

std::optional<thread_id> session::next_finished(std::span<const thread_id> group, finish_filter f) {
    const bool on_think_end = f.on_think_end && be_.think_end_token().has_value();
    const std::vector<thread_id> & order = on_think_end ? think_order_ : finish_order_;
    std::vector<bool> & returned = on_think_end ? is_think_returned_ : is_returned_;
    auto in_group = [&](thread_id t) { return std::find(group.begin(), group.end(), t) != group.end(); };
    // A thread in think_order_ with a think end was counted there; otherwise by its finish.
    auto counts = [&](thread_id t) {
        const thread_info & r = threads_[size_t(t)];
        return (on_think_end && r.think_end_at > 0) || r.counts_as_finished(f.with_truncated);
    };
    std::optional<thread_id> found;
    wait([&] {
        if (returned.size() < threads_.size()) returned.resize(threads_.size(), false);
        for (thread_id t : order)
            if (!returned[size_t(t)] && in_group(t) && counts(t)) {
                found = t;
                return true;
            }
        return std::all_of(group.begin(), group.end(), [&](thread_id t) { return threads_[size_t(t)].is_ended; });
    });
    if (found) returned[size_t(*found)] = true;
    return found;
}

void session::join(std::span<const thread_id> group) {
    wait([&] { return std::all_of(group.begin(), group.end(), [&](thread_id t) { return threads_[size_t(t)].is_ended; }); });
}

void session::wait_tokens(thread_id t, int32_t n) {
    (void)threads_.at(size_t(t));
    wait([&] {
        const thread_info & r = threads_[size_t(t)];
        return r.is_ended || r.n_generated >= n || r.is_paused;
    });
}

std::string session::text(thread_id t) const {
    const thread_info & r = threads_.at(size_t(t));
    return be_.detokenize(r.tokens);
}

int64_t session::n_tokens_prompt() const {
    int64_t n = 0;
    for (const thread_info & t : threads_) n += t.n_tokens_prompt;
    return n;
}

double session::wall_seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
}

std::string session::status() const {
    const stop_cause c = budget_hit();
    if (c == stop_cause::none) return "ok";
    return std::string("budget: ") + stop_cause_name(c);
}

}  // namespace tts::controller
