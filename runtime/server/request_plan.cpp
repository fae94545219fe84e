// request_plan: tokenise, apply defaults, check against the context length.
#include "runtime/server/request_plan.h"

#include <algorithm>

namespace tts::server {
namespace {

std::optional<api_error> tokenize(const completion_request & r, const model::decoder & dec, request_plan & out) {
    const char * field = r.kind == endpoint::chat ? "messages" : "prompt";
    if (r.kind == endpoint::chat) {
        const std::string text = dec.chat().render(r.messages, /*add_generation_prompt=*/true);
        out.prompts.push_back(dec.vocab().encode(text, /*parse_special=*/true, /*add_special=*/false));
        for (auto it = r.messages.rbegin(); it != r.messages.rend() && out.problem_text.empty(); ++it)
            if (it->role == "user") out.problem_text = it->content;
        for (const auto & m : r.messages)
            if (m.role == "system") {
                out.problem_system = m.content;
                break;
            }
    } else {
        for (const prompt_input & p : r.prompts) {
            if (const auto * text = std::get_if<std::string>(&p)) {
                out.prompts.push_back(dec.vocab().encode(*text, /*parse_special=*/true, /*add_special=*/true));
                if (out.problem_text.empty()) out.problem_text = *text;
            } else {
                out.prompts.push_back(std::get<std::vector<int32_t>>(p));
            }
        }
    }
    const auto & c = dec.config();
    for (const auto & p : out.prompts) {
        if (p.empty()) return api_error::invalid(field, std::string(field) + ": the prompt is empty");
        for (int32_t t : p)
            if (t >= c.n_vocab)
                return api_error::invalid(field, std::string(field) + ": token id " + std::to_string(t) + " is not below the vocabulary size " +
                                                     std::to_string(c.n_vocab));
        if (int32_t(p.size()) >= c.n_ctx_train)
            return api_error::invalid(field, std::string(field) + ": the prompt has " + std::to_string(p.size()) +
                                                 " tokens; the model's context is " + std::to_string(c.n_ctx_train) + " tokens");
        out.n_prompt_tokens += int64_t(p.size());
    }
    return std::nullopt;
}

// The room left after the longest prompt; an explicit max_tokens must fit in it.
std::optional<api_error> check_room(const request_plan & out, const model::decoder & dec, int32_t max_tokens, bool is_explicit) {
    size_t longest = 0;
    for (const auto & p : out.prompts) longest = std::max(longest, p.size());
    const int32_t room = dec.config().n_ctx_train - int32_t(longest);
    if (is_explicit && max_tokens > room)
        return api_error::invalid("max_tokens", "max_tokens: " + std::to_string(max_tokens) + " tokens after a " + std::to_string(longest) +
                                                    "-token prompt exceed the model's context of " +
                                                    std::to_string(dec.config().n_ctx_train) + " tokens");
    return std::nullopt;
}

}  // namespace

std::optional<api_error> plan_request(const completion_request & r, const model::decoder & dec, int32_t max_tokens_cap,
                                      uint64_t fresh_seed, request_plan & out) {
    out = {};
    if (auto e = tokenize(r, dec, out)) return e;
    out.seed = r.seed.value_or(fresh_seed);
    size_t longest = 0;
    for (const auto & p : out.prompts) longest = std::max(longest, p.size());
    const int32_t room = dec.config().n_ctx_train - int32_t(longest);

    if (!r.strategy) {
        engine::generation_params & g = out.params;
        g.sampling.temperature = float(r.temperature.value_or(1.0));
        g.sampling.top_p = float(r.top_p.value_or(1.0));
        g.sampling.top_k = r.top_k;
        g.sampling.min_p = float(r.min_p);
        g.sampling.n_top_logprobs = r.top_logprobs;
        g.max_tokens = r.max_tokens.value_or(std::min(room, max_tokens_cap));
        g.stop_strings = r.stop;
        g.ignore_eos = r.ignore_eos;
        return check_room(out, dec, g.max_tokens, r.max_tokens.has_value());
    }
    controller::session_options & so = out.session;
    so.seed = out.seed;
    so.params.sampling.temperature = float(r.temperature.value_or(0.7));
    so.params.sampling.top_p = float(r.top_p.value_or(0.95));
    so.params.sampling.top_k = r.top_k;
    so.params.sampling.min_p = float(r.min_p);
    so.params.max_tokens = std::min(r.max_tokens.value_or(512), std::max(room, 1));
    so.params.stop_strings = r.stop;
    so.params.ignore_eos = r.ignore_eos;
    out.strategy_params = r.strategy->params;
    const bool has_max = r.max_tokens || out.strategy_params.contains("max_tokens");
    if (status s = strategy::take_session_params(out.strategy_params, so); !s.is_ok())
        return api_error::invalid("strategy", "strategy: " + s.message());
    return check_room(out, dec, so.params.max_tokens, has_max);
}

}  // namespace tts::server
