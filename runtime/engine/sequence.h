// sequence: one reasoning thread as the engine sees it — its tokens, sampler and state.
//
// A request's prompt is prefilled once by a hidden root sequence; its k threads are forks of
// that root, each sampling its first token from the root's last logits with its own RNG
// stream. A running sequence always holds the token it sampled last (`pending`), which the
// next step feeds through the model. Owned by the engine; touched only on the engine thread.
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
    max_tokens,    // generated max_tokens
    cancelled,     // cancelled by the caller (a strategy, a client disconnect)
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

enum class seq_state {
    prefilling,   // K/V of `tokens` still being computed (a prompt, or a recompute after preemption)
    running,      // has a pending token to feed
    paused,       // keeps its pages, not scheduled
    finished,     // done; pages released
};

// A thread waiting for its root's prefill to finish.
struct child_spec {
    seq_id id;
    int32_t thread_index;
    generation_params params;
    uint64_t stream_seed;
};

struct sequence {
    seq_id id = -1;
    int32_t thread_index = 0;          // index within its request (the RNG stream's index)
    seq_state state = seq_state::prefilling;
    generation_params params;
    sampler smp{sampling_params{}, 0};
    std::shared_ptr<event_sink> sink;  // shared by a request's threads

    std::vector<int32_t> tokens;       // prompt + generated + injected, excluding `pending`
    int32_t n_prompt = 0;
    int32_t n_computed = 0;            // leading tokens whose K/V are in the cache
    int32_t pending = -1;              // sampled, not yet fed (running only)
    int32_t n_generated = 0;
    std::vector<int32_t> injected;     // fed after `pending`, before sampling again
    std::string text_tail;             // recent detokenised text, for stop strings
    bool is_root = false;              // prefills a prompt for `children`, never samples itself
    std::vector<child_spec> children;
    uint64_t order = 0;                // admission order: the newest is preempted first
};

}  // namespace tts::engine
