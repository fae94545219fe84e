// http_exchange: Beast writes with the fiber yield token, SSE framing, the disconnect watcher.
#include "runtime/server/http_exchange.h"

#include <chrono>

#include <boost/asio/write.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/serialize.hpp>

#include "runtime/server/fiber_yield.h"

namespace tts::server {

namespace net = boost::asio;
using tcp = net::ip::tcp;

http_exchange::http_exchange(boost::beast::tcp_stream & stream, const request_type & req, double write_timeout_s, bool keep_alive)
    : stream_(stream), req_(req), write_timeout_s_(write_timeout_s), keep_alive_(keep_alive) {}

http_exchange::~http_exchange() { unwatch_client(); }

void http_exchange::mark_gone() {
    if (is_gone_) return;
    is_gone_ = true;
    if (on_gone_) {
        auto fn = std::move(on_gone_);
        on_gone_ = nullptr;
        fn();
    }
}

void http_exchange::reply(http::status st, std::string body, std::string_view content_type) {
    status_ = int(st);
    if (is_gone_) return;
    http::response<http::string_body> res{st, req_.version()};
    res.set(http::field::server, "ttscale");
    res.set(http::field::content_type, content_type);
    res.keep_alive(keep_alive_);
    res.body() = std::move(body);
    res.prepare_payload();
    stream_.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(write_timeout_s_)));
    boost::system::error_code ec;
    http::async_write(stream_, res, yield[ec]);
    if (ec) mark_gone();
}

void http_exchange::reply_json(const boost::json::value & v, http::status st) {
    reply(st, boost::json::serialize(v), "application/json");
}

void http_exchange::reply_error(const api_error & e) {
    if (is_streaming_) {   // headers are out: the error travels as an event
        send_event(to_json(e));
        end_events();
        return;
    }
    reply_json(to_json(e), http_status_of(e.kind));
}

bool http_exchange::begin_events() {
    status_ = 200;
    is_streaming_ = true;
    if (is_gone_) return false;
    http::response<http::empty_body> res{http::status::ok, req_.version()};
    res.set(http::field::server, "ttscale");
    res.set(http::field::content_type, "text/event-stream");
    res.set(http::field::cache_control, "no-cache");
    res.keep_alive(keep_alive_);
    res.chunked(true);
    http::response_serializer<http::empty_body> sr{res};
    stream_.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(write_timeout_s_)));
    boost::system::error_code ec;
    http::async_write_header(stream_, sr, yield[ec]);
    if (ec) mark_gone();
    return !is_gone_;
}

bool http_exchange::write_chunk(std::string data) {
    if (is_gone_) return false;
    stream_.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(write_timeout_s_)));
    boost::system::error_code ec;
    if (data.empty()) net::async_write(stream_, http::make_chunk_last(), yield[ec]);
    else net::async_write(stream_, http::make_chunk(net::buffer(data)), yield[ec]);
    if (ec) mark_gone();
    return !is_gone_;
}

bool http_exchange::send_event(const boost::json::value & v) {
    return write_chunk("data: " + boost::json::serialize(v) + "\n\n");
}

bool http_exchange::end_events() {
    return write_chunk("data: [DONE]\n\n") && write_chunk("");
}

void http_exchange::watch_client(std::function<void()> on_gone) {
    on_gone_ = std::move(on_gone);
    if (is_gone_) return mark_gone();
    is_watching_ = true;
    watcher_ = boost::fibers::fiber([this] {
        tcp::socket & sock = stream_.socket();
        boost::system::error_code nb;
        sock.non_blocking(true, nb);   // the peek below must never block the io thread
        while (is_watching_) {
            boost::system::error_code ec;
            sock.async_wait(tcp::socket::wait_read, yield[ec]);
            if (!is_watching_ || ec == net::error::operation_aborted) return;
            if (ec) return mark_gone();
            // Readable: either the peer closed (a zero-byte peek) or sent more (pipelining).
            char c;
            const size_t n = sock.receive(net::buffer(&c, 1), tcp::socket::message_peek, ec);
            if (ec == net::error::would_block) continue;
            if (ec || n == 0) return mark_gone();
            return;   // the next request's bytes: leave them for the connection loop
        }
    });
}

void http_exchange::unwatch_client() {
    if (!watcher_.joinable()) return;
    is_watching_ = false;
    boost::system::error_code ec;
    stream_.socket().cancel(ec);
    watcher_.join();
    on_gone_ = nullptr;
}

}  // namespace tts::server
