// server_options: everything `ttscale serve` can be told, with its defaults. Plain value.
#pragma once

#include <cstdint>
#include <string>

#include "runtime/server/completion_request.h"

namespace tts::server {

struct server_options {
    std::string model = "models/SmolLM2-135M-Instruct.Q4_1.gguf";   // GGUF path
    std::string host = "127.0.0.1";
    uint16_t port = 8080;                  // 0: any free port (printed at start)
    std::string api_key;                   // non-empty: /v1/* need "Authorization: Bearer <key>"
    int32_t max_queue = 64;                // requests in flight at once; more get 429
    request_limits limits;                 // n, strategy threads, stop strings
    int32_t max_tokens = 4096;             // default (and cap of the default) max_tokens
    size_t max_body_bytes = size_t(1) << 20;
    int32_t threads = 2;                   // CPU workers of the decoder
    double kv_mib = 512;                   // KV pool
    double idle_timeout_s = 60;            // keep-alive connection with no request
    double write_timeout_s = 60;           // a client not reading its response
    double shutdown_grace_s = 30;          // SIGTERM: in-flight requests finish within this, then are cancelled
};

}  // namespace tts::server
