// decoder_backend: the few engine operations a session needs, behind one small interface.
//
// engine_backend adapts a real engine::engine + model::decoder; tests/support/scripted_decoder
// implements it with predetermined token streams, so strategies are testable with no model.
// Contract shared by every implementation (the engine's own, see runtime/engine/engine.h):
//   - command methods are thread-safe and only queue; they are applied in call order at the
//     next step boundary of the decoding thread;
//   - events reach the request's sink on the decoding thread, in step order, and within a step
//     in ascending sequence id; a sink may queue commands (they apply at the next boundary);
//   - a fork copies its source exactly (tokens, pending token, sampler state unless a seed is
//     given) and shares its sink; its first event has n_generated = source's count + 1;
//   - a thread's tokens depend only on (prompt, params, seed, thread index).
// Text helpers are pure and callable from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/engine/engine.h"

namespace tts::controller {

using engine::seq_id;

class decoder_backend {
public:
    virtual ~decoder_backend() = default;

    // Queues a prompt and its n threads; returns their ids (thread i first), empty when invalid.
    virtual std::vector<seq_id> submit(engine::request_spec spec) = 0;
    // Queues a fork of src; returns the new id. When src has ended by the time the fork
    // applies, the new id gets one final event: cancelled, token -1 (see engine.h).
    virtual seq_id fork(seq_id src, std::optional<uint64_t> stream_seed,
                        std::optional<engine::generation_params> params) = 0;
    virtual void cancel(seq_id id) = 0;
    virtual void pause(seq_id id) = 0;
    virtual void resume(seq_id id) = 0;
    virtual void inject(seq_id id, std::vector<int32_t> tokens) = 0;

    // Plain text -> token ids (special-token text is parsed as special).
    virtual std::vector<int32_t> tokenize(std::string_view text) const = 0;
    // Token ids -> text; control tokens (EOS, end of turn) render as nothing.
    virtual std::string detokenize(std::span<const int32_t> tokens) const = 0;
    // The chat-templated prompt for one user message, ready to submit.
    virtual std::vector<int32_t> encode_prompt(std::string_view user_message) const = 0;
    // The same with a system message first (none when `system` is empty).
    virtual std::vector<int32_t> encode_chat(std::string_view system, std::string_view user_message) const = 0;
    // Reasoning models: the token that closes the thinking block (`</think>`); nullopt otherwise.
    virtual std::optional<int32_t> think_end_token() const = 0;
    // KV bytes one token of one thread occupies (all layers, K and V): budgets and reports.
    virtual size_t kv_bytes_per_token() const = 0;
};

}  // namespace tts::controller
