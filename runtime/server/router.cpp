// router: dispatch, auth, admission, metrics.
#include "runtime/server/router.h"

#include <boost/json/serialize.hpp>

#include "runtime/server/completion_job.h"
#include "runtime/server/request_plan.h"
#include "runtime/server/strategy_catalog.h"
#include "runtime/server/strategy_job.h"

namespace tts::server {

namespace {

// Compares without an early exit, so the key cannot be guessed byte by byte from timings.
bool equal_secret(std::string_view a, std::string_view b) {
    unsigned char d = a.size() == b.size() ? 0 : 1;
    for (size_t i = 0; i < a.size(); ++i) d |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
    return d == 0;
}

std::string endpoint_name(std::string_view path) {
    for (std::string_view p : {"/health", "/metrics", "/v1/models", "/v1/strategies", "/v1/chat/completions", "/v1/completions"})
        if (path == p) return std::string(p);
    if (path.starts_with("/v1/cancel/")) return "/v1/cancel";
    return "other";
}

}  // namespace

bool router::is_authorized(const http_exchange & x) const {
    if (ctx_.opt.api_key.empty()) return true;
    const auto it = x.request().find(http::field::authorization);
    if (it == x.request().end()) return false;
    std::string_view v = it->value();
    if (!v.starts_with("Bearer ")) return false;
    return equal_secret(v.substr(7), ctx_.opt.api_key);
}

void router::handle(http_exchange & x) {
    std::string_view target = x.request().target();
    const std::string path(target.substr(0, target.find('?')));
    const std::string name = endpoint_name(path);
    try {
        route(x, path);
    } catch (const std::exception & e) {
        if (x.status_code() == 0 || x.is_streaming()) x.reply_error({error_kind::internal, e.what(), ""});
    }
    ctx_.stats.count_request(name, x.status_code());
}

void router::route(http_exchange & x, const std::string & path) {
    const http::verb m = x.request().method();
    auto only = [&](http::verb want) {
        if (m == want) return true;
        x.reply_error({error_kind::method_not_allowed, "method " + std::string(x.request().method_string()) + " not allowed on " + path, ""});
        return false;
    };
    if (path == "/health") {
        if (!only(http::verb::get)) return;
        if (ctx_.is_shutting_down) return x.reply_json({{"status", "shutting_down"}}, http::status::service_unavailable);
        return x.reply_json({{"status", "ok"}});
    }
    if (path == "/metrics") {
        if (!only(http::verb::get)) return;
        return x.reply(http::status::ok, ctx_.stats.render(), "text/plain; version=0.0.4");
    }
    if (!path.starts_with("/v1/")) return x.reply_error({error_kind::not_found, "no such path: " + path, ""});
    if (!is_authorized(x))
        return x.reply_error({error_kind::unauthorized, "missing or wrong API key (send \"Authorization: Bearer <key>\")", ""});
    if (path == "/v1/models") {
        if (!only(http::verb::get)) return;
        return x.reply_json(models_object(ctx_.model_id, ctx_.created));
    }
    if (path == "/v1/strategies") {
        if (!only(http::verb::get)) return;
        return x.reply_json(strategy_catalog());
    }
    if (path == "/v1/chat/completions" || path == "/v1/completions") {
        if (!only(http::verb::post)) return;
        return completions(x, path == "/v1/completions" ? endpoint::completions : endpoint::chat);
    }
    if (path.starts_with("/v1/cancel/")) {
        if (!only(http::verb::post)) return;
        const std::string id = path.substr(std::string_view("/v1/cancel/").size());
        if (!ctx_.requests.cancel(id, "api")) return x.reply_error({error_kind::not_found, "no request in flight with id " + id, "id"});
        return x.reply_json({{"id", id}, {"object", "cancellation"}, {"cancelled", true}});
    }
    x.reply_error({error_kind::not_found, "no such path: " + path, ""});
}

void router::completions(http_exchange & x, endpoint kind) {
    if (ctx_.is_shutting_down) return x.reply_error({error_kind::unavailable, "the server is shutting down", ""});
    if (ctx_.stats.n_requests_in_flight >= ctx_.opt.max_queue)
        return x.reply_error({error_kind::queue_full, "too many requests in flight (--max-queue " + std::to_string(ctx_.opt.max_queue) + "); retry later", ""});
    completion_request req;
    if (auto e = parse_completion_request(x.request().body(), kind, ctx_.opt.limits, req)) return x.reply_error(*e);
    request_plan plan;
    if (auto e = plan_request(req, ctx_.dec, ctx_.opt.max_tokens, ctx_.fresh_seed(), plan)) return x.reply_error(*e);

    response_head head{kind, ctx_.next_id(kind == endpoint::chat ? "chatcmpl-" : "cmpl-"), 0, req.model.empty() ? ctx_.model_id : req.model};
    head.created = int64_t(std::time(nullptr));
    ctx_.stats.n_requests_in_flight++;
    struct in_flight {
        metrics & m;
        ~in_flight() { m.n_requests_in_flight--; }
    } guard_count{ctx_.stats};
    if (req.strategy) {
        strategy_job job(ctx_, req, std::move(plan), head);
        auto reg = ctx_.requests.register_request(head.id, [&job](const char * why) { job.cancel(why); });
        job.run(x);
    } else {
        completion_job job(ctx_, req, std::move(plan), head);
        auto reg = ctx_.requests.register_request(head.id, [&job](const char * why) { job.cancel(why); });
        job.run(x);
    }
}

}  // namespace tts::server
