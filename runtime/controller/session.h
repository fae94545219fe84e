// session: one request's reasoning threads, as seen from the controller fibers.
//
// A session owns the thread records of one request (problem prompt, sampling defaults, seed,
// budget) and offers the strategy primitives of docs/strategies.md §0.2: spawn (P1), fork
// (P8), cancel (P3), pause/resume (P10), inject (P7), a new prompt reusing cached prefix pages
// (P9: just spawn again, the engine's prefix cache does it), wait-any / join, and per-thread
// token streams with log-probs and confidences (P2, P4). Every wait suspends only the calling
// fiber. Rules that must act at an exact decode step — budgets, stop-after-m-finished,
// low-confidence stop, pause-at — run on the decoding thread in event_monitor.
//
// Threading: create, use and destroy a session on one OS thread (the controller thread); any
// fiber of that thread, or its main context, may call it. The constructor starts one helper
// fiber (the pump) that moves events from the decoding thread into the records; it is joined
// by the destructor, which also cancels and waits for every live thread.
//
// Invariant: a thread's record only grows while it runs; once ended (is_ended) it is final.
#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <boost/fiber/all.hpp>

#include "runtime/controller/event_monitor.h"

namespace tts::controller {

struct session_options {
    engine::generation_params params;   // every thread's defaults (sampling, max_tokens, stops)
    uint64_t seed = 0;                  // request seed: thread i of the first spawn uses stream i
    budget limits;
    boost::fibers::launch launch = boost::fibers::launch::post;   // policy for the session's fibers
};

// Which ends a wait for finishers accepts (next_finished).
struct finish_filter {
    bool on_think_end = false;    // reasoning models: the end-of-thinking token counts (then the
                                  // thread goes on to its answer)
    bool with_truncated = false;  // a thread truncated at max_tokens counts as finished
};

struct spawn_options {
    int32_t n = 1;                                   // threads to start from the prompt
    std::optional<engine::generation_params> params; // default: session_options::params
    std::optional<uint64_t> seed;                    // default: the session seed for the first
                                                     // spawn, a derived seed for later ones
    std::string role = "sample";                     // reported in the verdict
    spawn_rules rules;                               // exact rules from the first token on
};

struct fork_options {
    std::optional<engine::generation_params> params; // default: the source's
    std::optional<uint64_t> seed;                    // restart the RNG stream; default: copy it
    std::vector<int32_t> inject;                     // tokens fed right after the fork point
    int32_t max_new_tokens = 0;                      // stop after this many own tokens; 0: params'
    std::string role = "fork";
};

// One reasoning thread's record (controller side).
struct thread_info {
    thread_id id = -1;
    seq_id seq = -1;
    int32_t thread_index = 0;          // session-wide start order (votes break ties on it)
    std::string role;
    thread_id parent = -1;             // forks: the source thread
    std::vector<int32_t> tokens;       // own tokens: generated and injected, in order
    int32_t n_tokens_prompt = 0;       // tokens this thread brought to the decoder: its spawn's
                                       // prompt (first thread of a spawn only: the n threads share
                                       // one prefill) plus any injected tokens
    std::vector<float> logprobs;       // per generated token
    std::vector<float> confidences;    // per generated token: -mean(top log-probs); 0 without them
    int32_t n_generated = 0;           // tokens this thread generated itself
    int32_t think_end_at = -1;         // n_generated when the end-of-thinking token came
    bool is_paused = false;            // paused by pause() or pause_at(), not resumed since
    bool is_ended = false;
    engine::finish_reason finish = engine::finish_reason::none;
    stop_cause cause = stop_cause::none;

    // answered / truncated / cancelled / failed once ended (controller/finish_class.h).
    finish_class kind() const { return is_ended ? classify_finish(finish, cause) : finish_class::running; }
    bool is_answered() const { return kind() == finish_class::answered; }
    // Finished for votes and races: answered, or truncated when with_truncated.
    bool counts_as_finished(bool with_truncated) const {
        return controller::counts_as_finished(kind(), with_truncated);
    }
    // "eos", "max_tokens", or the stop cause for cancelled threads ("conf_early_stop", ...).
    std::string finish_name() const;
};

class session {
public:
    session(decoder_backend & be, session_options opt);
    ~session();
    session(const session &) = delete;
    session & operator=(const session &) = delete;

    decoder_backend & backend() { return be_; }
    const decoder_backend & backend() const { return be_; }
    const session_options & options() const { return opt_; }

    // Starts o.n threads from `prompt` (fewer when budget::max_live_threads would be exceeded,
    // none once a budget has run out). Returns their ids.
    std::vector<thread_id> spawn(const std::vector<int32_t> & prompt, const spawn_options & o = {});
    // Forks src at its current position (exact: src is paused first and STAYS paused — resume
    // it when you want it to go on). nullopt when src has ended or a budget ran out.
    std::optional<thread_id> fork(thread_id src, const fork_options & o = {});
    void cancel(thread_id t, stop_cause why = stop_cause::strategy);
    void cancel(std::span<const thread_id> ts, stop_cause why = stop_cause::strategy);
    // Cancels every live thread (cause `why`) and makes later spawn() and fork() start nothing,
    // so the running strategy winds down at once (the server: its client went away).
    void abort(stop_cause why);
    bool is_aborted() const { return is_aborted_; }
    void pause(thread_id t);
    void resume(thread_id t);
    // Feeds tokens before t samples again. The record gets them from the event of the token
    // sampled right after them (token_event::injected), so it holds them exactly where they were
    // fed, and not at all when t ends first.
    void inject(thread_id t, std::vector<int32_t> tokens);

    // ---- exact rules (applied on the decoding thread) ----
    // t pauses right after generating its n-th token. REQUIRES: set before t gets there.
    void pause_at(thread_id t, int32_t n_generated);
    // Once m threads of `group` have finished — answered, or truncated with f.with_truncated, or
    // (f.on_think_end, reasoning model) emitted the end-of-thinking token — every other member
    // is cancelled (stop_rule). Each call is a separate rule.
    void stop_after_finished(std::span<const thread_id> group, int32_t m, finish_filter f = {});
    // DeepConf online: once t has `window` tokens, it stops when their mean confidence < threshold.
    void stop_on_low_confidence(thread_id t, int32_t window, double threshold);

    // ---- waits (suspend the calling fiber) ----
    // The next thread of `group` that finished — answered, or truncated with f.with_truncated,
    // or with f.on_think_end finished thinking — in decode order, not returned before (the
    // order a stop_after_finished rule with the same filter counts them in). nullopt when every
    // member has ended and none is left to return.
    std::optional<thread_id> next_finished(std::span<const thread_id> group, finish_filter f = {});
    // Until every thread of `group` has ended.
    void join(std::span<const thread_id> group);
    // Until t has generated >= n tokens, is paused, or has ended.
    void wait_tokens(thread_id t, int32_t n);

    const thread_info & thread(thread_id t) const { return threads_.at(size_t(t)); }
    int32_t n_threads() const { return int32_t(threads_.size()); }
    std::string text(thread_id t) const;    // own tokens, detokenised

    int64_t n_tokens_total() const { return mon_->n_tokens_total(); }  // generated, every thread
    int64_t n_tokens_prompt() const;                                   // sum of thread_info::n_tokens_prompt
    size_t kv_bytes_peak() const { return mon_->kv_bytes_peak(); }
    double wall_seconds() const;
    stop_cause budget_hit() const { return mon_->budget_hit(); }
    // "ok", or "budget: <which>" once a budget has run out.
    std::string status() const;

private:
    void pump();
    void apply(const session_event & e);
    template <typename Pred> void wait(Pred done);

    decoder_backend & be_;
    session_options opt_;
    std::chrono::steady_clock::time_point t0_;
    std::shared_ptr<event_queue<session_event>> queue_;
    std::shared_ptr<event_monitor> mon_;
    std::deque<thread_info> threads_;
    std::vector<thread_id> finish_order_;  // answered or truncated threads, in event order
    std::vector<thread_id> think_order_;   // ended thinking (or answered / truncated), in event order
    std::vector<bool> is_returned_, is_think_returned_;
    int32_t n_spawns_ = 0;
    bool is_aborted_ = false;
    boost::fibers::mutex mu_;                    // fiber-side: only for cv_
    boost::fibers::condition_variable cv_;
    boost::fibers::fiber pump_;
};

}  // namespace tts::controller
