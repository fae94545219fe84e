// sequence: one reasoning thread as the engine sees it — its tokens, sampler and state.
//
// A request's prompt p[0..n) is prefilled once by a hidden root sequence, which computes the
// K/V of p[0..n-1) and never samples. The request's threads exist from submit on, in state
// `waiting` (no KV yet), each holding p[n-1] as its pending token; when the root's prefill
// ends they fork it (no K/V copied) and run: the first step feeds p[n-1] and samples their
// first token from their own logits with their own RNG stream. So every thread, from its
// first token on, goes through the same path: feed `pending` (+ `injected`), sample, emit.
//
// Invariant (what a thread's owner can rebuild from its events): prompt + every event's
// `injected` and `token`, in order == tokens + [pending]. Owned by the engine; touched only on
// the engine thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "runtime/engine/sampler.h"

namespace tts::engine {

using seq_id = int64_t;

enum class finish_reason {
    none,          // still running
    eos,           // the model's end-of-generation token
    stop_token,    // one of the caller's stop token ids
    stop_string,   // one of the caller's stop strings appeared in the text
    max_tokens,    // generated max_tokens, or reached the model's context length
    cancelled,     // cancelled by the caller (a strategy, a client disconnect), or the engine failed
    kv_exhausted,  // could not get KV pages even alone in the pool
};
const char * finish_reason_name(finish_reason r);

// What a sequence's owner hears: one event per generated token; the last one carries the
// finish reason (and for cancelled/kv_exhausted, token == -1: nothing new was generated).
struct token_event {
    seq_id seq = -1;
    int32_t token = -1;
    int32_t n_generated = 0;          // tokens generated so far, this one included
    token_signals signals;
    finish_reason finish = finish_reason::none;
    std::vector<int32_t> injected;    // inject()ed tokens fed right before `token` was sampled
};
using event_sink = std::function<void(const token_event &)>;   // called on the engine thread

struct generation_params {
    sampling_params sampling;
    int32_t max_tokens = 256;
    std::vector<int32_t> stop_tokens;        // besides the model's end-of-generation tokens
    std::vector<std::string> stop_strings;   // matched on the detokenised text
    bool ignore_eos = false;                 // benchmarks: never stop at EOS
    int32_t priority = 0;                    // higher is preempted later
};
// What submit and fork accept: max_tokens >= 1, temperature >= 0, top_k >= 0, top_p and min_p
// in [0, 1], n_top_logprobs in [0, 20] (all finite).
bool is_valid(const generation_params & p);

enum class seq_state {
    waiting,      // a thread whose request's root is still prefilling; holds no KV pages
    prefilling,   // K/V of `tokens` being computed (a root's prompt, or a recompute after preemption)
    running,      // K/V of `tokens` computed; `pending` (then `injected`) is fed next
    finished,     // done; pages released; erased at the end of the step
};

// A request's sink, shared by its threads. A sink that throws is broken: it is never called
// again and the request's threads end (the other requests go on).
struct request_sink {
    event_sink fn;
    bool is_broken = false;
};

struct sequence {
    seq_id id = -1;
    int32_t thread_index = 0;          // index within its request (the RNG stream's index)
    seq_state state = seq_state::prefilling;
    bool is_paused = false;            // not scheduled until resumed (keeps its pages)
    generation_params params;
    sampler smp{sampling_params{}, 0};
    std::shared_ptr<request_sink> sink;   // shared by a request's threads

    std::vector<int32_t> tokens;       // prompt + generated + injected, excluding `pending`
    int32_t n_computed = 0;            // leading tokens whose K/V are in the cache
    int32_t pending = -1;              // fed next: the last sampled token (a thread's first: p[n-1];
                                       // a root holds p[n-1] too, never feeds it)
    int32_t n_generated = 0;
    std::vector<int32_t> injected;     // fed after `pending`, before sampling again
    std::string text_tail;             // recent detokenised text, for stop strings
    uint64_t order = 0;                // admission order: the newest is preempted first
    int32_t n_preemptions = 0;         // times its pages were taken (it recomputed them)

    bool is_root = false;              // prefills a prompt for `waiting`, never samples itself
    std::vector<seq_id> waiting;       // roots: threads to start when the prefill ends, in order
    seq_id root = -1;                  // waiting threads: the root they wait for

    bool is_live() const { return state != seq_state::finished; }
};

}  // namespace tts::engine
