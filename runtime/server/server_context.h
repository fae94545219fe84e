// server_context: what every connection and handler of one server shares.
//
// Built by http_server before the first connection and destroyed after the last. The model,
// the backend (the shared engine behind waking_backend), the metrics registry and the request
// registry; plus the shutdown flag. Everything except `backend` and `metrics` is touched only
// on the server's io/fiber thread.
#pragma once

#include <cstdint>
#include <string>

#include "runtime/controller/decoder_backend.h"
#include "runtime/model/decoder.h"
#include "runtime/server/metrics.h"
#include "runtime/server/request_registry.h"
#include "runtime/server/server_options.h"

namespace tts::server {

struct server_context {
    const server_options & opt;
    model::decoder & dec;
    controller::decoder_backend & backend;
    metrics & stats;
    request_registry & requests;
    std::string model_id;          // the GGUF file name without its extension
    int64_t created = 0;           // unix seconds at start
    bool is_shutting_down = false;
    uint64_t n_requests = 0;       // for request ids

    // A new request id: "chatcmpl-..." or "cmpl-..." (unique for the process).
    std::string next_id(const char * prefix);
    // A seed for requests without one (unpredictable, as OpenAI's are).
    uint64_t fresh_seed();
};

}  // namespace tts::server
