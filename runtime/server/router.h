// router: method + path -> handler; API-key check, the in-flight limit, per-request metrics.
//
//   GET  /health                 {"status": "ok"} (503 while shutting down)
//   GET  /metrics                Prometheus text (metrics.h)
//   GET  /v1/models              the one served model
//   GET  /v1/strategies          registered strategies and their parameters
//   POST /v1/chat/completions    OpenAI chat completions (+ "strategy")
//   POST /v1/completions         OpenAI legacy completions (+ "strategy")
//   POST /v1/cancel/{id}         cancels a request in flight (every thread; KV freed)
// With --api-key every /v1/ path needs "Authorization: Bearer <key>" (401 otherwise); /health
// and /metrics stay open for probes. At most --max-queue completions are in flight (429 beyond).
//
// Threading: the server's io/fiber thread only.
#pragma once

#include "runtime/server/http_exchange.h"
#include "runtime/server/server_context.h"

namespace tts::server {

class router {
public:
    explicit router(server_context & ctx) : ctx_(ctx) {}
    // Answers x (exactly once) and counts it in the metrics.
    void handle(http_exchange & x);

private:
    void route(http_exchange & x, const std::string & endpoint_name);
    void completions(http_exchange & x, endpoint kind);
    bool is_authorized(const http_exchange & x) const;

    server_context & ctx_;
};

}  // namespace tts::server
