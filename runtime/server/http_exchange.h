// http_exchange: one HTTP request and its one response, as a handler sees them.
//
// A handler answers once: reply*() writes a whole response, or begin_events() / send_event() /
// end_events() stream Server-Sent Events (chunked transfer encoding, `data: {...}` lines, then
// `data: [DONE]`). While it works, watch_client() runs a fiber that notices the client closing
// the connection and calls the given function once (the handler cancels its threads there);
// a failed write counts as the client gone too. Every write suspends only the calling fiber
// (fiber_yield.h) and times out after server_options::write_timeout_s.
//
// Threading: the server's io/fiber thread only, from the connection's fiber and the watcher
// fiber it starts. Owned by http_session, which outlives it.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/fiber/fiber.hpp>
#include <boost/json/value.hpp>

#include "runtime/server/api_error.h"

namespace tts::server {

namespace http = boost::beast::http;

class http_exchange {
public:
    using request_type = http::request<http::string_body>;

    http_exchange(boost::beast::tcp_stream & stream, const request_type & req, double write_timeout_s, bool keep_alive);
    ~http_exchange();
    http_exchange(const http_exchange &) = delete;
    http_exchange & operator=(const http_exchange &) = delete;

    const request_type & request() const { return req_; }

    void reply(http::status st, std::string body, std::string_view content_type);
    void reply_json(const boost::json::value & v, http::status st = http::status::ok);
    // The error object with the HTTP status http_status_of(e.kind) chooses.
    void reply_error(const api_error & e);

    // Streaming. Each returns false once the client is gone (then the rest are no-ops).
    bool begin_events();
    bool send_event(const boost::json::value & v);
    bool end_events();   // `data: [DONE]` and the end of the chunked body
    bool is_streaming() const { return is_streaming_; }

    // Calls on_gone (once) when the client closes the connection; stops at unwatch_client().
    void watch_client(std::function<void()> on_gone);
    void unwatch_client();
    bool is_client_gone() const { return is_gone_; }

    // For the connection loop and metrics: the status sent (0 before any), and whether the
    // connection may serve another request.
    int status_code() const { return status_; }
    bool keep_alive() const { return keep_alive_ && !is_gone_; }

private:
    bool write_chunk(std::string data);
    void mark_gone();

    boost::beast::tcp_stream & stream_;
    const request_type & req_;
    double write_timeout_s_;
    bool keep_alive_;
    int status_ = 0;
    bool is_streaming_ = false;
    bool is_gone_ = false;
    bool is_watching_ = false;
    std::function<void()> on_gone_;
    boost::fibers::fiber watcher_;
};

}  // namespace tts::server
