// engine: many reasoning threads decoded together over one paged, prefix-shared KV cache.
//
// Callers on any thread queue commands (submit, fork, cancel, pause, resume, inject); the
// engine applies them in call order at the next step boundary (command.h says what each does
// to a thread that has not started or has ended). Each step: apply commands -> schedule
// (every running thread's next token plus prefill chunks, under max_step_tokens) -> reserve
// KV pages (preempting the newest lowest-priority thread when the pool runs out) -> one
// forward pass -> sample -> publish token events to each request's sink (called on the
// engine thread; a sink must be quick and must not call back into the engine synchronously
// except to queue commands). Within a step, events come in ascending sequence id.
//
// A request's prompt is prefilled once by a hidden root (sequence.h); its n threads fork the
// root (no K/V copied) and sample with their own RNG streams thread_seed(seed, i). A thread's
// tokens depend only on (model, prompt, params, seed, thread index, injected tokens), never on
// what else shares the batch. A cancelled thread's private pages are free when the step that
// applies the cancel returns. Every thread id handed out gets exactly one final event (finish
// != none). A fork whose source has ended when it applies gets just that event (cancelled,
// token -1), provided the source ended in this step or the one before, which covers any
// caller that stops forking a thread once it hears its final event; a fork of a thread that
// ended earlier, or of an id never handed out, is dropped without a word.
//
// Errors: bad arguments are refused when the command is queued (empty ids, -1, a status). A
// sink that throws ends its own request only. Any other exception on the engine thread (say
// bad_alloc) fails the engine: every thread gets a final `cancelled` event, later submits are
// refused, and health() says why. No exception leaves step().
//
// Threading: step() and run()/stop() belong to one engine thread; command methods and health()
// are thread-safe. Sequence ids are allocated when the command is queued.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "runtime/base/status.h"
#include "runtime/engine/command.h"
#include "runtime/engine/sequence.h"
#include "runtime/kv/kv_cache.h"
#include "runtime/model/decoder.h"

namespace tts::engine {

struct engine_options {
    size_t kv_bytes = size_t(512) << 20;   // KV pool size
    int32_t block_size = 16;               // tokens per KV page
    int32_t max_step_tokens = 512;         // tokens computed per forward pass
    bool use_prefix_cache = true;          // reuse cached prompt pages across requests
};

struct engine_stats {
    int64_t n_steps = 0;
    int64_t n_tokens_prefilled = 0;
    int64_t n_tokens_decoded = 0;
    int64_t n_preemptions = 0;
    int64_t n_prefix_tokens_reused = 0;
    int64_t n_commands_dropped = 0;        // aimed at an ended, root or unknown thread
    int64_t n_sinks_broken = 0;            // requests ended because their sink threw
    size_t kv_bytes_peak = 0;
    int32_t n_blocks_total = 0;
    int32_t n_blocks_free = 0;
    int32_t n_blocks_cached = 0;   // pages held by the prefix cache (free once no sequence uses them)
};

class engine {
public:
    engine(model::decoder & dec, const engine_options & opt);
    ~engine();
    engine(const engine &) = delete;
    engine & operator=(const engine &) = delete;

    // ---- commands: thread-safe, applied at the next step in call order ----
    // Returns the ids of the request's threads, thread i first; empty when the request is
    // invalid (empty prompt, a token outside the vocabulary, n_threads < 1, bad params) or the
    // engine has failed.
    std::vector<seq_id> submit(request_spec spec);
    // A new thread continuing src exactly from here (its tokens, pending and injected tokens,
    // pause flag and KV pages, shared). Its sampler restarts from stream_seed, or copies src's
    // RNG state when nullopt; params replace src's (sampling included). Returns -1 when params
    // are invalid. Dropped (no event for the new id) when src has ended by then.
    seq_id fork(seq_id src, std::optional<uint64_t> stream_seed, std::optional<generation_params> params = {});
    void cancel(seq_id id);
    void pause(seq_id id);
    void resume(seq_id id);
    // Feeds tokens after the thread's pending token, before it samples again (probes, "Wait");
    // the next token event lists them in `injected`. invalid_argument for an id outside the
    // vocabulary (nothing queued).
    status inject(seq_id id, std::vector<int32_t> tokens);

    // One step on the calling (engine) thread. Returns false when there was nothing to do.
    bool step();
    // Steps until no sequence is runnable and no command is queued.
    void run_until_idle();
    // Starts / stops a background engine thread that steps while there is work.
    void start();
    void stop();

    // OK, or why the engine stopped serving (an exception on the engine thread).
    status health() const;
    engine_stats stats() const;     // engine thread, or after stop()
    int32_t n_sequences_live() const { return int32_t(seqs_.size()); }
    model::decoder & decoder() { return dec_; }

    kv::kv_cache & cache_for_testing() { return cache_; }
    // The live sequence `id` (roots included), or nullptr. Engine thread only.
    const sequence * find_for_testing(seq_id id) const;
    // Called with every sequence as it finishes (pages already freed). Engine thread only.
    void set_finish_observer_for_testing(std::function<void(const sequence &)> f) { on_finish_ = std::move(f); }

private:
    // A scheduled sequence in this step's batch.
    struct planned {
        seq_id id;
        int32_t n_fed;        // tokens fed this step
        bool has_logits;      // owns the next row of logits_
    };

    void queue(command c);
    bool step_unguarded();
    void fail(const std::string & why);

    // command.cpp
    void apply_commands();
    void apply(submit_command & c);
    void apply(fork_command & c);
    void apply(cancel_command & c);
    void apply(pause_command & c);
    void apply(resume_command & c);
    void apply(inject_command & c);
    sequence * find_thread(seq_id id);   // a live thread (not a root), or nullptr
    void refuse_fork(const fork_command & c);
    sequence & make_sequence(seq_id id);
    void start_waiting(sequence & root);
    void finish(sequence & s, finish_reason why, bool emit);
    void publish(sequence & s, const token_event & ev);
    void end_broken_requests();
    void erase_finished();

    // scheduler.cpp
    bool schedule();
    bool reserve_or_preempt(sequence & s, int32_t n_tokens, bool is_decode);
    sequence * pick_victim(sequence & s, bool is_decode);
    void preempt(sequence & victim);

    // publish.cpp
    void sample_and_publish();
    void on_prefilled(sequence & s);
    void emit(sequence & s, int32_t token, const token_signals & sig, std::vector<int32_t> injected);

    model::decoder & dec_;
    engine_options opt_;
    kv::kv_cache cache_;
    std::map<seq_id, sequence> seqs_;       // ordered: deterministic scheduling order

    // Scratch for one step.
    std::vector<seq_id> step_seqs_;         // kv view order
    std::vector<planned> plan_;             // in step_seqs_ order
    model::batch batch_;
    std::vector<float> logits_;
    engine_stats stats_;
    uint64_t next_order_ = 0;
    std::function<void(const sequence &)> on_finish_;
    // Sinks of the sequences erased in the last two steps: a late fork of them is answered.
    std::map<seq_id, std::shared_ptr<request_sink>> ended_now_, ended_before_;

    mutable std::mutex mu_;                 // guards queue_ and failure_
    std::condition_variable cv_;
    std::vector<command> queue_;
    status failure_;
    std::atomic<seq_id> next_id_{1};
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

}  // namespace tts::engine
