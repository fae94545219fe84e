// completion_request: one OpenAI-style request body, parsed and checked, before tokenisation.
//
// parse_completion_request() reads a /v1/chat/completions or /v1/completions body into this
// struct, checking every field's type and range and naming the field in the error (400 for the
// client). What needs the model (tokenising, the context length) is checked later, when the
// request is prepared (request_plan.h). Fields follow the OpenAI API; extensions: `top_k`,
// `min_p`, `ignore_eos` (benchmarks), and `strategy` — {"name": "short_m_at_k", "k": 8, ...}
// with the same names and parameters as `ttscale run` (strategies/registry.h). Plain value.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "runtime/model/chat_template.h"
#include "runtime/server/api_error.h"
#include "strategies/params.h"

namespace tts::server {

enum class endpoint { chat, completions };

// Server-wide limits the parser enforces.
struct request_limits {
    int32_t max_n = 16;            // `n`: choices per prompt
    int32_t max_threads = 64;      // a strategy's thread counts (k, n_init, m)
    int32_t max_prompts = 16;      // /v1/completions: prompts in one request
    int32_t max_stop = 16;         // stop strings
    int32_t max_stop_bytes = 256;  // bytes per stop string
};

struct strategy_request {
    std::string name;
    strategy::param_map params;    // every other key of the object, as text ("8", "0.5", "true")
};

// A /v1/completions prompt: text, or token ids.
using prompt_input = std::variant<std::string, std::vector<int32_t>>;

struct completion_request {
    endpoint kind = endpoint::chat;
    std::string model;                          // echoed back; one model is served
    std::vector<model::chat_message> messages;  // chat
    std::vector<prompt_input> prompts;          // completions: one or more prompts
    std::optional<int32_t> max_tokens;          // max_tokens / max_completion_tokens
    std::optional<double> temperature;          // OpenAI default 1 (a strategy's default 0.7)
    std::optional<double> top_p;                // OpenAI default 1 (a strategy's default 0.95)
    int32_t top_k = 0;
    double min_p = 0.0;
    int32_t n = 1;                              // choices per prompt
    std::vector<std::string> stop;
    std::optional<uint64_t> seed;               // absent: a fresh random seed
    bool logprobs = false;
    int32_t top_logprobs = 0;                   // per token, 0..20
    bool stream = false;
    bool include_usage = false;                 // stream_options.include_usage
    bool ignore_eos = false;
    std::optional<strategy_request> strategy;
};

// Parses and checks a request body. On failure returns the error (and `out` is unspecified).
std::optional<api_error> parse_completion_request(std::string_view body, endpoint kind, const request_limits & lim,
                                                  completion_request & out);

}  // namespace tts::server
