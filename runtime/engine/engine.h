// engine: many reasoning threads decoded together over one paged, prefix-shared KV cache.
//
// Callers on any thread queue commands (submit, fork, cancel, pause, resume, inject); the
// engine applies them at the next step boundary. Each step: apply commands -> schedule
// (every running thread's next token plus prefill chunks, under max_step_tokens) -> reserve
// KV pages (preempting the newest lowest-priority thread when the pool runs out) -> one
// forward pass -> sample -> publish token events to each request's sink (called on the
// engine thread; a sink must be quick and must not call back into the engine synchronously
// except to queue commands).
//
// A request's prompt is prefilled once by a hidden root; its n threads fork the root (no
// K/V copied) and sample their first tokens from its last logits with their own RNG streams
// thread_seed(seed, i). A thread's tokens depend only on (model, prompt, params, seed, thread
// index), never on what else shares the batch. A cancelled thread's private pages are free
// when the step that applies the cancel returns.
//
// Threading: step() and run()/stop() belong to one engine thread; command methods are
// thread-safe. Sequence ids are allocated when the command is queued.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

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

struct request_spec {
    std::vector<int32_t> prompt;           // token ids, non-empty
    generation_params params;
    int32_t n_threads = 1;
    uint64_t seed = 0;
    event_sink sink;                       // receives every thread's events
};

struct engine_stats {
    int64_t n_steps = 0;
    int64_t n_tokens_prefilled = 0;
    int64_t n_tokens_decoded = 0;
    int64_t n_preemptions = 0;
    int64_t n_prefix_tokens_reused = 0;
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

    // Commands: thread-safe, applied at the next step. Unknown or finished ids are ignored.
    // Returns the ids of the request's threads, thread i first.
    std::vector<seq_id> submit(request_spec spec);
    // A new thread continuing src exactly from here (its tokens, pending token and KV pages,
    // shared). Its sampler restarts from stream_seed, or copies src's RNG state when nullopt.
    seq_id fork(seq_id src, std::optional<uint64_t> stream_seed, std::optional<generation_params> params = {});
    void cancel(seq_id id);
    void pause(seq_id id);
    void resume(seq_id id);
    // Feeds tokens after the thread's pending token before it samples again (probes, "Wait").
    void inject(seq_id id, std::vector<int32_t> tokens);

    // One step on the calling (engine) thread. Returns false when there was nothing to do.
    bool step();
    // Steps until no sequence is runnable and no command is queued.
    void run_until_idle();
    // Starts / stops a background engine thread that steps while there is work.
    void start();
    void stop();

    engine_stats stats() const;     // engine thread, or after stop()
    kv::kv_cache & cache_for_testing() { return cache_; }
    int32_t n_sequences_live() const { return int32_t(seqs_.size()); }
    model::decoder & decoder() { return dec_; }

    struct command;   // a queued command; defined in engine.cpp

private:
    void apply_commands();
    void apply(command & c);
    void finish(sequence & s, finish_reason why, bool emit);
    bool schedule();
    bool reserve_or_preempt(sequence & s, int32_t n_tokens, bool is_decode);
    sequence * pick_victim(sequence & s, bool is_decode);
    void preempt(sequence & victim);
    void sample_and_publish(const std::vector<float> & logits);
    void start_children(sequence & root, const float * logits);
    void emit(sequence & s, int32_t token, const token_signals & sig);
    sequence & make_sequence(seq_id id);

    model::decoder & dec_;
    engine_options opt_;
    kv::kv_cache cache_;
    std::map<seq_id, sequence> seqs_;       // ordered: deterministic scheduling order

    // Scratch for one step.
    std::vector<seq_id> step_seqs_;         // kv view order
    std::vector<std::pair<seq_id, int32_t>> logit_owner_;   // (sequence, tokens fed this step)
    model::batch batch_;
    std::vector<float> logits_;
    engine_stats stats_;
    uint64_t next_order_ = 0;

    mutable std::mutex mu_;                 // guards queue_
    std::condition_variable cv_;
    std::vector<std::unique_ptr<command>> queue_;
    std::atomic<seq_id> next_id_{1};
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

}  // namespace tts::engine
