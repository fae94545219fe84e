// completion_request: the OpenAI request fields, read one by one with field-naming errors.
#include "runtime/server/completion_request.h"

#include <boost/json/parse.hpp>
#include <fmt/format.h>

#include "runtime/server/json_fields.h"
#include "strategies/registry.h"

namespace tts::server {
namespace {

namespace json = boost::json;

// Message content: a string, or an array of {"type": "text", "text": ...} parts.
std::optional<std::string> read_content(json_fields & f, const std::string & where) {
    const json::value * v = f.raw("content");
    if (!v) return std::string();
    if (v->is_string()) return std::string(v->get_string());
    if (!v->is_array()) {
        f.fail("content", std::string("expected a string or an array of text parts, got ") + json_kind_name(*v));
        return std::nullopt;
    }
    std::string out;
    for (size_t i = 0; i < v->get_array().size(); ++i) {
        const json::value & part = v->get_array()[i];
        const std::string key = "content[" + std::to_string(i) + "]";
        if (!part.is_object()) {
            f.fail(key, std::string("expected an object, got ") + json_kind_name(part));
            return std::nullopt;
        }
        json_fields pf(part.get_object(), where + key + ".");
        std::optional<std::string> type = pf.str("type");
        std::optional<std::string> text = pf.str("text");
        if (pf.ok() && type != "text") pf.fail("type", "only \"text\" parts are supported, got " + json_excerpt(part));
        else if (pf.ok() && !text) pf.fail("text", "required");
        if (auto e = pf.finish()) {
            f.fail(key, e->message.substr(e->message.find(": ") + 2));
            return std::nullopt;
        }
        out += *text;
    }
    return out;
}

std::optional<api_error> read_messages(json_fields & top, completion_request & r) {
    const json::value * v = top.raw("messages");
    if (!top.ok()) return top.finish();
    if (!v || !v->is_array() || v->get_array().empty())
        return api_error::invalid("messages", v ? "messages: expected a non-empty array of messages, got " + json_excerpt(*v)
                                                : "messages: required");
    const json::array & a = v->get_array();
    for (size_t i = 0; i < a.size(); ++i) {
        const std::string where = "messages[" + std::to_string(i) + "].";
        if (!a[i].is_object())
            return api_error::invalid(where.substr(0, where.size() - 1), where.substr(0, where.size() - 1) +
                                                                             ": expected an object, got " + json_excerpt(a[i]));
        json_fields f(a[i].get_object(), where);
        std::optional<std::string> role = f.str("role");
        std::optional<std::string> content = read_content(f, where);
        f.ignore("name");
        if (f.ok() && !role) f.fail("role", "required");
        if (f.ok() && *role == "developer") role = "system";
        if (f.ok() && *role != "system" && *role != "user" && *role != "assistant")
            f.fail("role", "expected one of system, developer, user, assistant, got \"" + *role + "\"");
        if (auto e = f.finish()) return e;
        r.messages.push_back({*role, *content});
    }
    return std::nullopt;
}

std::optional<std::vector<int32_t>> token_array(const json::array & a) {
    std::vector<int32_t> out;
    for (const json::value & t : a) {
        if (!t.is_int64() || t.get_int64() < 0 || t.get_int64() > INT32_MAX) return std::nullopt;
        out.push_back(int32_t(t.get_int64()));
    }
    return out;
}

std::optional<api_error> read_prompts(json_fields & top, completion_request & r, const request_limits & lim) {
    const json::value * v = top.raw("prompt");
    auto bad = [](const std::string & why) { return api_error::invalid("prompt", "prompt: " + why); };
    if (!v) return bad("required");
    if (v->is_string()) {
        r.prompts.emplace_back(std::string(v->get_string()));
        return std::nullopt;
    }
    if (!v->is_array() || v->get_array().empty())
        return bad("expected a string, an array of strings, or an array of token ids, got " + json_excerpt(*v));
    const json::array & a = v->get_array();
    if (a[0].is_number()) {
        auto toks = token_array(a);
        if (!toks) return bad("expected token ids (integers >= 0)");
        r.prompts.emplace_back(std::move(*toks));
        return std::nullopt;
    }
    if (a.size() > size_t(lim.max_prompts))
        return bad("at most " + std::to_string(lim.max_prompts) + " prompts per request, got " + std::to_string(a.size()));
    for (size_t i = 0; i < a.size(); ++i) {
        if (a[i].is_string()) r.prompts.emplace_back(std::string(a[i].get_string()));
        else if (a[i].is_array() && !a[i].get_array().empty() && token_array(a[i].get_array()))
            r.prompts.emplace_back(*token_array(a[i].get_array()));
        else
            return api_error::invalid("prompt", "prompt[" + std::to_string(i) + "]: expected a string or token ids, got " +
                                                    json_excerpt(a[i]));
    }
    return std::nullopt;
}

std::optional<api_error> read_stop(json_fields & top, completion_request & r, const request_limits & lim) {
    const json::value * v = top.raw("stop");
    if (!v) return std::nullopt;
    auto bad = [](const std::string & why) { return api_error::invalid("stop", "stop: " + why); };
    std::vector<const json::value *> items;
    if (v->is_string()) items.push_back(v);
    else if (v->is_array())
        for (const json::value & x : v->get_array()) items.push_back(&x);
    else return bad("expected a string or an array of strings, got " + json_excerpt(*v));
    if (items.size() > size_t(lim.max_stop)) return bad("at most " + std::to_string(lim.max_stop) + " stop strings");
    for (const json::value * x : items) {
        if (!x->is_string()) return bad("expected strings, got " + json_excerpt(*x));
        if (x->get_string().empty() || x->get_string().size() > size_t(lim.max_stop_bytes))
            return bad("each stop string must have 1.." + std::to_string(lim.max_stop_bytes) + " bytes");
        r.stop.emplace_back(x->get_string());
    }
    return std::nullopt;
}

// {"name": ..., "k": 8, ...}: every other key becomes a parameter, checked by the registry.
std::optional<api_error> read_strategy(json_fields & top, completion_request & r, const request_limits & lim) {
    const json::value * v = top.raw("strategy");
    if (!v) return std::nullopt;
    if (!v->is_object()) return api_error::invalid("strategy", "strategy: expected an object, got " + json_excerpt(*v));
    strategy_request s;
    for (const auto & [key, val] : v->get_object()) {
        const std::string k(key), path = "strategy." + k;
        if (k == "name") {
            if (!val.is_string()) return api_error::invalid(path, path + ": expected a string, got " + json_excerpt(val));
            s.name = val.get_string();
        } else if (val.is_string()) {
            s.params[k] = std::string(val.get_string());
        } else if (val.is_bool()) {
            s.params[k] = val.get_bool() ? "true" : "false";
        } else if (val.is_int64()) {
            s.params[k] = std::to_string(val.get_int64());
        } else if (val.is_uint64()) {
            s.params[k] = std::to_string(val.get_uint64());
        } else if (val.is_double()) {
            s.params[k] = fmt::format("{}", val.get_double());   // shortest form: 0.6, not 6E-1
        } else {
            return api_error::invalid(path, path + ": expected a number, string or boolean, got " + json_excerpt(val));
        }
    }
    if (s.name.empty()) return api_error::invalid("strategy.name", "strategy.name: required");
    if (s.params.contains("judge_model"))   // a path: clients may not make the server open files
        return api_error::invalid("strategy.judge_model", "strategy.judge_model: not accepted over HTTP (the judge is the served model)");
    for (const char * key : {"k", "n_init", "m"}) {
        auto it = s.params.find(key);
        if (it == s.params.end()) continue;
        const long long x = std::atoll(it->second.c_str());
        if (x > lim.max_threads)
            return api_error::invalid(std::string("strategy.") + key, std::string("strategy.") + key + ": at most " +
                                                                          std::to_string(lim.max_threads) + " threads per request (--max-threads), got " + it->second);
    }
    // Session keys (temperature, max_tokens, budgets, ...) are checked like `ttscale run -P`.
    strategy::param_map rest = s.params;
    controller::session_options so;
    if (status st = strategy::take_session_params(rest, so); !st.is_ok())
        return api_error::invalid("strategy", "strategy: " + st.message());
    if (status st = strategy::validate_strategy(s.name, rest); !st.is_ok())
        return api_error::invalid("strategy", "strategy: " + st.message());
    r.strategy = std::move(s);
    return std::nullopt;
}

// Fields that are accepted only at their no-op value.
void read_unsupported(json_fields & f) {
    for (const char * k : {"frequency_penalty", "presence_penalty"})
        if (auto x = f.number(k, -2.0, 2.0); x && *x != 0.0) f.fail(k, "not supported (only 0)");
    for (const char * k : {"logit_bias", "tools", "functions"})
        if (const json::value * v = f.raw(k); v && !(v->is_object() && v->get_object().empty()) && !(v->is_array() && v->get_array().empty()))
            f.fail(k, "not supported");
    if (auto c = f.str("tool_choice"); c && *c != "none") f.fail("tool_choice", "not supported (only \"none\")");
    if (const json::value * v = f.raw("response_format")) {
        const json::value * t = v->is_object() ? v->get_object().if_contains("type") : nullptr;
        if (!t || !t->is_string() || t->get_string() != "text") f.fail("response_format", "only {\"type\": \"text\"} is supported");
    }
    for (const char * k : {"user", "metadata", "store", "service_tier", "parallel_tool_calls"}) f.ignore(k);
}

}  // namespace

std::optional<api_error> parse_completion_request(std::string_view body, endpoint kind, const request_limits & lim,
                                                  completion_request & r) {
    boost::system::error_code ec;
    json::value doc = json::parse(body, ec);
    if (ec) return api_error::invalid("", "invalid JSON in the request body: " + ec.message());
    if (!doc.is_object()) return api_error::invalid("", std::string("the request body must be a JSON object, got ") + json_kind_name(doc));
    json_fields f(doc.get_object());
    r = {};
    r.kind = kind;
    r.model = f.str("model").value_or("");
    if (kind == endpoint::chat) {
        if (auto e = read_messages(f, r)) return e;
        if (auto x = f.boolean("logprobs")) r.logprobs = *x;
        if (auto x = f.integer("top_logprobs", 0, 20)) r.top_logprobs = int32_t(*x);
        if (f.ok() && r.top_logprobs > 0 && !r.logprobs) f.fail("top_logprobs", "requires logprobs: true");
    } else {
        if (auto e = read_prompts(f, r, lim)) return e;
        if (auto x = f.integer("logprobs", 0, 20)) {   // legacy: the number of top log-probs
            r.logprobs = true;
            r.top_logprobs = int32_t(*x);
        }
        if (auto x = f.boolean("echo"); x && *x) f.fail("echo", "not supported (only false)");
        if (f.raw("suffix")) f.fail("suffix", "not supported");
        (void)f.integer("best_of", 1, 1);
    }
    if (auto x = f.integer("max_tokens", 1, 1 << 24)) r.max_tokens = int32_t(*x);
    if (auto x = f.integer("max_completion_tokens", 1, 1 << 24)) r.max_tokens = int32_t(*x);
    r.temperature = f.number("temperature", 0.0, 2.0);
    r.top_p = f.number("top_p", 0.0, 1.0);
    if (auto x = f.integer("top_k", 0, 1 << 20)) r.top_k = int32_t(*x);
    if (auto x = f.number("min_p", 0.0, 1.0)) r.min_p = *x;
    if (auto x = f.integer("n", 1, lim.max_n)) r.n = int32_t(*x);
    if (auto x = f.integer("seed", INT64_MIN, INT64_MAX)) r.seed = uint64_t(*x);
    if (auto x = f.boolean("stream")) r.stream = *x;
    if (auto x = f.boolean("ignore_eos")) r.ignore_eos = *x;
    if (const json::value * so = f.raw("stream_options")) {
        if (!so->is_object()) f.fail("stream_options", std::string("expected an object, got ") + json_kind_name(*so));
        else {
            json_fields sf(so->get_object(), "stream_options.");
            if (auto x = sf.boolean("include_usage")) r.include_usage = *x;
            if (auto e = sf.finish()) return e;
        }
    }
    read_unsupported(f);
    if (!f.ok()) return f.finish();
    if (auto e = read_stop(f, r, lim)) return e;
    if (auto e = read_strategy(f, r, lim)) return e;
    if (auto e = f.finish()) return e;
    if (r.strategy && r.n != 1) return api_error::invalid("n", "n: must be 1 with a strategy (the strategy decides its threads)");
    if (r.strategy && r.logprobs) return api_error::invalid("logprobs", "logprobs: not available with a strategy");
    if (r.strategy && r.prompts.size() > 1) return api_error::invalid("prompt", "prompt: one prompt per strategy request");
    return std::nullopt;
}

}  // namespace tts::server
