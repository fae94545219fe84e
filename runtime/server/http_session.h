// http_session: one client connection — read a request, route it, answer, repeat.
//
// run() is the connection's fiber: it reads requests (Beast parser with the body and header
// limits; an idle keep-alive connection times out), answers parse errors itself (400, 413) and
// hands everything else to the router, until the client closes, keep-alive ends, an I/O error
// happens or the server shuts down (close_if_idle() ends a connection waiting for a request).
// Exceptions never leave run(): an unexpected one is logged and answered with 500 if possible.
//
// Threading: the server's io/fiber thread only.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include "runtime/server/server_context.h"

namespace tts::server {

class router;

class http_session {
public:
    http_session(boost::asio::ip::tcp::socket sock, server_context & ctx, router & r);
    void run();
    // Closes the connection if it is waiting for a request (shutdown); no-op while busy.
    void close_if_idle();

private:
    void drain();

    boost::beast::tcp_stream stream_;
    boost::beast::flat_buffer buffer_;
    server_context & ctx_;
    router & router_;
    bool is_idle_ = true;
};

}  // namespace tts::server
