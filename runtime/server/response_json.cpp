// response_json: OpenAI response shapes.
#include "runtime/server/response_json.h"

#include "runtime/controller/session.h"
#include "runtime/server/text_output.h"

namespace tts::server {
namespace {

namespace json = boost::json;

json::array bytes_of(const std::string & s) {
    json::array a;
    for (unsigned char c : s) a.push_back(int(c));
    return a;
}

json::object chat_logprob(const token_logprob & t) {
    json::object o;
    o["token"] = utf8_sanitize(t.token);
    o["logprob"] = t.logprob;
    o["bytes"] = bytes_of(t.token);
    json::array top;
    for (const auto & [tok, lp] : t.top) top.push_back(json::object{{"token", utf8_sanitize(tok)}, {"logprob", lp}, {"bytes", bytes_of(tok)}});
    o["top_logprobs"] = std::move(top);
    return o;
}

// chat: {"content": [...]}; completions: {"tokens", "token_logprobs", "top_logprobs", "text_offset"}.
json::value logprobs_value(endpoint kind, const choice_part & c, size_t text_offset) {
    if (kind == endpoint::chat) {
        json::array content;
        for (const auto & t : c.logprobs) content.push_back(chat_logprob(t));
        return json::object{{"content", std::move(content)}, {"refusal", nullptr}};
    }
    json::array tokens, lps, tops, offsets;
    for (const auto & t : c.logprobs) {
        tokens.push_back(json::string(utf8_sanitize(t.token)));
        lps.push_back(t.logprob);
        json::object top;
        for (const auto & [tok, lp] : t.top) top[utf8_sanitize(tok)] = lp;
        tops.push_back(std::move(top));
        offsets.push_back(text_offset);
        text_offset += t.token.size();
    }
    return json::object{{"tokens", std::move(tokens)}, {"token_logprobs", std::move(lps)}, {"top_logprobs", std::move(tops)},
                        {"text_offset", std::move(offsets)}};
}

json::value finish_value(const choice_part & c) { return c.finish_reason ? json::value(c.finish_reason) : json::value(nullptr); }

json::object head_object(const response_head & h, const char * object) {
    return json::object{{"id", h.id}, {"object", object}, {"created", h.created}, {"model", h.model}, {"system_fingerprint", nullptr}};
}

}  // namespace

json::object usage_object(const usage_counts & u) {
    return json::object{{"prompt_tokens", u.n_prompt}, {"completion_tokens", u.n_completion}, {"total_tokens", u.n_prompt + u.n_completion}};
}

json::object response_object(const response_head & h, std::span<const choice_part> choices, const usage_counts & u,
                             bool with_logprobs) {
    json::object o = head_object(h, h.kind == endpoint::chat ? "chat.completion" : "text_completion");
    json::array cs;
    for (const choice_part & c : choices) {
        json::object co{{"index", c.index}};
        if (h.kind == endpoint::chat) co["message"] = json::object{{"role", "assistant"}, {"content", utf8_sanitize(c.text)}, {"refusal", nullptr}};
        else co["text"] = utf8_sanitize(c.text);
        co["logprobs"] = with_logprobs ? logprobs_value(h.kind, c, 0) : json::value(nullptr);
        co["finish_reason"] = finish_value(c);
        cs.push_back(std::move(co));
    }
    o["choices"] = std::move(cs);
    o["usage"] = usage_object(u);
    return o;
}

json::object chunk_object(const response_head & h, const choice_part & c, bool with_role, bool with_logprobs, size_t text_offset) {
    json::object o = head_object(h, h.kind == endpoint::chat ? "chat.completion.chunk" : "text_completion");
    json::object co{{"index", c.index}};
    if (h.kind == endpoint::chat) {
        json::object delta;
        if (with_role) delta["role"] = "assistant";
        if (!c.text.empty() || with_role) delta["content"] = utf8_sanitize(c.text);
        co["delta"] = std::move(delta);
    } else {
        co["text"] = utf8_sanitize(c.text);
    }
    co["logprobs"] = with_logprobs && !c.logprobs.empty() ? logprobs_value(h.kind, c, text_offset) : json::value(nullptr);
    co["finish_reason"] = finish_value(c);
    o["choices"] = json::array{std::move(co)};
    return o;
}

json::object usage_chunk(const response_head & h, const usage_counts & u) {
    json::object o = head_object(h, h.kind == endpoint::chat ? "chat.completion.chunk" : "text_completion");
    o["choices"] = json::array();
    o["usage"] = usage_object(u);
    return o;
}

json::object verdict_object(const strategy::verdict & v, const std::string & name) {
    json::object o;
    o["strategy"] = name;
    o["answer"] = v.answer ? json::value(utf8_sanitize(*v.answer)) : json::value(nullptr);
    o["status"] = utf8_sanitize(v.status);
    json::array votes;
    for (const auto & e : v.votes.table)
        votes.push_back({{"answer", utf8_sanitize(e.answer)}, {"votes", e.n_votes}, {"weight", e.total_weight}, {"shortest_tokens", e.n_tokens_min}});
    o["votes"] = std::move(votes);
    json::array threads;
    for (const auto & t : v.threads)
        threads.push_back({{"thread", t.thread_index}, {"role", t.role}, {"finish_reason", utf8_sanitize(t.finish_reason)},
                           {"n_tokens", t.n_tokens}, {"answer", t.answer ? json::value(utf8_sanitize(*t.answer)) : json::value(nullptr)},
                           {"voted", t.voted}});
    o["threads"] = std::move(threads);
    o["n_tokens_total"] = v.n_tokens_total;
    o["n_tokens_sequential"] = v.n_tokens_sequential;
    o["kv_bytes_peak"] = v.kv_bytes_peak;
    o["wall_seconds"] = v.wall_seconds;
    return o;
}

json::object progress_object(const controller::session & s) {
    json::array threads;
    for (int32_t i = 0; i < s.n_threads(); ++i) {
        const controller::thread_info & t = s.thread(i);
        threads.push_back({{"thread", t.thread_index}, {"role", t.role}, {"n_tokens", t.n_generated}, {"state", t.finish_name()}});
    }
    return json::object{{"threads", std::move(threads)}, {"n_tokens_total", s.n_tokens_total()}};
}

json::object models_object(const std::string & model_id, int64_t created) {
    json::object m{{"id", model_id}, {"object", "model"}, {"created", created}, {"owned_by", "ttscale"}};
    return json::object{{"object", "list"}, {"data", json::array{std::move(m)}}};
}

}  // namespace tts::server
