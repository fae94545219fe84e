// response_json: the OpenAI response objects (and the `ttscale` extension) as Boost.JSON values.
//
// Chat (`chat.completion`, `chat.completion.chunk`) and legacy completions (`text_completion`)
// share one set of builders: a response_head says which, plus the id, creation time and model.
// Token text is raw bytes from the vocabulary; every string written here goes through
// utf8_sanitize (text_output.h), and log-prob entries carry the exact `bytes`. Pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>

#include "runtime/server/completion_request.h"
#include "strategies/verdict.h"

namespace tts::controller { class session; }

namespace tts::server {

struct response_head {
    endpoint kind = endpoint::chat;
    std::string id;          // "chatcmpl-..." / "cmpl-..."
    int64_t created = 0;     // unix seconds
    std::string model;
};

struct token_logprob {
    std::string token;                                  // raw bytes
    float logprob = 0.0f;
    std::vector<std::pair<std::string, float>> top;     // (raw bytes, log p), best first
};

// One choice, whole (a response) or the part new since the last chunk (a stream).
struct choice_part {
    int32_t index = 0;
    std::string text;
    std::vector<token_logprob> logprobs;
    const char * finish_reason = nullptr;   // nullptr: not finished (null in JSON)
};

struct usage_counts {
    int64_t n_prompt = 0;
    int64_t n_completion = 0;
};

// The full (non-streaming) response.
boost::json::object response_object(const response_head & h, std::span<const choice_part> choices, const usage_counts & u,
                                     bool with_logprobs);
// One stream chunk for one choice; `with_role` adds delta.role (the first chunk of a chat choice);
// text_offset: where c.text starts in the whole choice (legacy completions' log-probs).
boost::json::object chunk_object(const response_head & h, const choice_part & c, bool with_role, bool with_logprobs,
                                 size_t text_offset = 0);
// The last stream chunk when stream_options.include_usage: no choices, only usage.
boost::json::object usage_chunk(const response_head & h, const usage_counts & u);
boost::json::object usage_object(const usage_counts & u);

// The `ttscale` extension of a strategy's response: answer, status, votes, per-thread finish
// reasons and tokens, total/sequential tokens, peak KV, wall time.
boost::json::object verdict_object(const strategy::verdict & v, const std::string & strategy_name);
// Streaming progress of a strategy: each thread's tokens so far and state.
boost::json::object progress_object(const controller::session & s);

// GET /v1/models.
boost::json::object models_object(const std::string & model_id, int64_t created);

}  // namespace tts::server
