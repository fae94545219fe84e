// http_server: `ttscale serve` — loads the model, starts the shared engine, accepts connections.
//
// Threads (see controller/fiber_io.h): the calling thread runs the Asio io_context and every
// fiber — the accept loop, one fiber per connection, the sessions' and strategies' fibers; the
// engine steps on its own thread (engine_loop.h); the decoder's CPU workers fan out from there.
// Requests meet the engine only through its command queue and their event queues.
//
// Shutdown (SIGTERM or SIGINT): stop accepting, close idle connections, let requests in flight
// finish for up to shutdown_grace_s, then cancel the rest (their KV pages are freed), wait for
// every connection to end, stop the engine, return 0.
#pragma once

#include <functional>
#include <string>

#include "runtime/base/status.h"
#include "runtime/server/server_options.h"

namespace tts::server {

// Runs the server until shutdown. on_listening (optional) receives the bound port once the
// server accepts connections. Returns an error for a model that does not load or an address
// that cannot be bound.
status run_server(const server_options & opt, std::function<void(uint16_t port)> on_listening = {});

}  // namespace tts::server
