// request_plan: a parsed request made concrete for the model — token ids, generation
// parameters, the seed — with the checks that need the model (context length, token ids).
//
// Plain requests: every prompt is submitted with `n` threads; sampling defaults are OpenAI's
// (temperature 1, top_p 1); max_tokens defaults to what is left of the context, capped by the
// server's --max-tokens. Strategy requests: the session defaults are `ttscale run`'s
// (temperature 0.7, top_p 0.95, max_tokens 512), then the request's fields, then the session
// keys inside the strategy object (strategies/params.h). Pure; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/controller/session.h"
#include "runtime/model/decoder.h"
#include "runtime/server/completion_request.h"

namespace tts::server {

struct request_plan {
    std::vector<std::vector<int32_t>> prompts;   // [n_prompts][prompt tokens]
    engine::generation_params params;            // plain requests
    controller::session_options session;         // strategy requests
    strategy::param_map strategy_params;         // strategy requests, session keys taken out
    std::string problem_text;                    // strategy requests: the last user message / the prompt
    std::string problem_system;                  // strategy requests: the first system message ("" none)
    uint64_t seed = 0;
    int64_t n_prompt_tokens = 0;                 // summed over prompts
};

// REQUIRES: r came from parse_completion_request. `fresh_seed` is used when r.seed is absent.
std::optional<api_error> plan_request(const completion_request & r, const model::decoder & dec, int32_t max_tokens_cap,
                                      uint64_t fresh_seed, request_plan & out);

}  // namespace tts::server
