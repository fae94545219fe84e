// `ttscale serve`: the OpenAI-compatible reasoning API (runtime/server/).
#include <cstdio>
#include <memory>

#include <fmt/format.h>

#include "runtime/cli/commands.h"
#include "runtime/server/http_server.h"

namespace tts::cli {

void add_serve(CLI::App & app, int & exit_code) {
    auto o = std::make_shared<server::server_options>();
    CLI::App * c = app.add_subcommand("serve", "OpenAI-compatible HTTP API with test-time-scaling strategies");
    c->add_option("--model,-m", o->model, "GGUF model file")->capture_default_str();
    c->add_option("--host", o->host, "Address to listen on")->capture_default_str();
    c->add_option("--port", o->port, "Port (0: any free port, printed at start)")->capture_default_str();
    c->add_option("--api-key", o->api_key, "Require \"Authorization: Bearer KEY\" on /v1/*");
    c->add_option("--max-queue", o->max_queue, "Completion requests in flight at once; more get 429")
        ->capture_default_str()->check(CLI::Range(1, 1 << 20));
    c->add_option("--max-n", o->limits.max_n, "Largest `n` (choices per prompt)")->capture_default_str()->check(CLI::Range(1, 4096));
    c->add_option("--max-threads", o->limits.max_threads, "Largest thread count of a strategy (k, n_init, m)")
        ->capture_default_str()->check(CLI::Range(1, 4096));
    c->add_option("--max-tokens", o->max_tokens, "max_tokens when a request gives none (at most what the context leaves)")
        ->capture_default_str()->check(CLI::Range(1, 1 << 24));
    c->add_option("--max-body-bytes", o->max_body_bytes, "Largest request body")->capture_default_str()->check(CLI::Range(1024, 1 << 30));
    c->add_option("--threads", o->threads, "CPU worker threads")->capture_default_str()->check(CLI::Range(1, 256));
    c->add_option("--kv-mib", o->kv_mib, "KV cache pool size in MiB")->capture_default_str()->check(CLI::Range(1.0, 1e6));
    c->add_option("--shutdown-grace", o->shutdown_grace_s, "Seconds in-flight requests get to finish on SIGTERM")
        ->capture_default_str()->check(CLI::Range(0.0, 3600.0));
    c->callback([o, &exit_code] {
        const status s = server::run_server(*o, [&](uint16_t port) {
            fmt::print("ttscale serve: listening on http://{}:{}\n", o->host, port);
            std::fflush(stdout);
        });
        if (!s.is_ok()) fmt::print(stderr, "ttscale serve: {}\n", s.message());
        exit_code = s.is_ok() ? 0 : 1;
    });
}

}  // namespace tts::cli
