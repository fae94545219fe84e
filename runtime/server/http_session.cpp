// http_session: the per-connection request loop.
#include "runtime/server/http_session.h"

#include <chrono>
#include <exception>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <fmt/format.h>

#include "runtime/server/fiber_yield.h"
#include "runtime/server/http_exchange.h"
#include "runtime/server/router.h"

namespace tts::server {

namespace {
std::chrono::steady_clock::duration seconds(double s) {
    return std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(s));
}
}  // namespace

http_session::http_session(boost::asio::ip::tcp::socket sock, server_context & ctx, router & r)
    : stream_(std::move(sock)), ctx_(ctx), router_(r) {}

void http_session::close_if_idle() {
    if (!is_idle_) return;
    boost::system::error_code ec;
    stream_.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
}

void http_session::drain() {
    // Closing a socket with unread input resets the connection, and the client may lose the
    // answer it has not read yet (a 413 while it still sends the body). Read and drop what
    // it sends for a moment first, as web servers' "lingering close" does.
    boost::system::error_code ec;
    stream_.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ec);
    static char sink[16384];
    size_t n_total = 0;
    stream_.expires_after(std::chrono::seconds(2));
    while (!ec && n_total < size_t(8) << 20) n_total += stream_.async_read_some(boost::asio::buffer(sink), yield[ec]);
}

void http_session::run() {
    for (;;) {
        if (ctx_.is_shutting_down) break;
        http::request_parser<http::string_body> parser;
        parser.body_limit(ctx_.opt.max_body_bytes);
        parser.header_limit(16 * 1024);
        is_idle_ = true;
        stream_.expires_after(seconds(ctx_.opt.idle_timeout_s));
        boost::system::error_code ec;
        http::async_read_header(stream_, buffer_, parser, yield[ec]);
        is_idle_ = false;
        if (!ec && parser.get()[http::field::expect] == "100-continue") {   // curl, for bodies over 1 KiB
            http::response<http::empty_body> cont{http::status::continue_, parser.get().version()};
            http::async_write(stream_, cont, yield[ec]);
        }
        if (!ec && !parser.is_done()) {
            stream_.expires_after(seconds(ctx_.opt.idle_timeout_s));
            http::async_read(stream_, buffer_, parser, yield[ec]);
        }
        if (ec == http::error::end_of_stream || ec == boost::beast::error::timeout || ec == boost::asio::error::operation_aborted ||
            ec == boost::asio::error::bad_descriptor || ec == boost::asio::error::connection_reset || ec == boost::asio::error::eof)
            break;
        const bool keep_alive = !ctx_.is_shutting_down && !ec && parser.get().keep_alive();
        http_exchange x(stream_, parser.get(), ctx_.opt.write_timeout_s, keep_alive);
        if (ec) {   // a malformed request: answer it, then close (the stream is out of step)
            api_error e = ec == http::error::body_limit
                              ? api_error{error_kind::payload_too_large, fmt::format("request body over {} bytes", ctx_.opt.max_body_bytes), ""}
                              : api_error::invalid("", "malformed HTTP request: " + ec.message());
            x.reply_error(e);
            ctx_.stats.count_request("invalid", x.status_code());
            drain();
            break;
        }
        try {
            router_.handle(x);
        } catch (const std::exception & ex) {
            fmt::print(stderr, "ttscale serve: internal error on {}: {}\n", std::string(parser.get().target()), ex.what());
            if (x.status_code() == 0 || x.is_streaming()) x.reply_error({error_kind::internal, ex.what(), ""});
        }
        if (!x.keep_alive()) break;
    }
    boost::system::error_code ec;
    stream_.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ec);
    stream_.socket().close(ec);
}

}  // namespace tts::server
