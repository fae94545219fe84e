// http_server: listener, connection fibers, graceful shutdown.
#include "runtime/server/http_server.h"

#include <csignal>
#include <filesystem>
#include <list>
#include <random>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/fiber/all.hpp>
#include <boost/fiber/protected_fixedsize_stack.hpp>
#include <fmt/format.h>

#include "runtime/controller/engine_backend.h"
#include "runtime/controller/fiber_io.h"
#include "runtime/server/engine_loop.h"
#include "runtime/server/fiber_yield.h"
#include "runtime/server/http_session.h"
#include "runtime/server/router.h"

namespace tts::server {

namespace net = boost::asio;
using tcp = net::ip::tcp;

std::string server_context::next_id(const char * prefix) {
    return fmt::format("{}{:x}{:06x}", prefix, created, ++n_requests);
}

uint64_t server_context::fresh_seed() {
    static std::mt19937_64 rng{std::random_device{}()};
    return rng();
}

namespace {

// The connections alive, so shutdown can close the idle ones and wait for the rest.
struct connection_set {
    std::list<http_session *> live;
    boost::fibers::mutex mu;
    boost::fibers::condition_variable cv;
};

void serve_connection(tcp::socket sock, server_context & ctx, router & r, connection_set & conns) {
    http_session session(std::move(sock), ctx, r);
    auto it = conns.live.insert(conns.live.end(), &session);
    try {
        session.run();
    } catch (const std::exception & e) {
        fmt::print(stderr, "ttscale serve: connection error: {}\n", e.what());
    }
    conns.live.erase(it);
    conns.cv.notify_all();
}

void shut_down(server_context & ctx, tcp::acceptor & acceptor, connection_set & conns) {
    ctx.is_shutting_down = true;
    boost::system::error_code ec;
    acceptor.close(ec);
    for (http_session * s : conns.live) s->close_if_idle();
    // Let requests finish within the grace period, then cancel what is left.
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(ctx.opt.shutdown_grace_s));
    std::unique_lock lk(conns.mu);
    while (ctx.requests.size() > 0 && std::chrono::steady_clock::now() < deadline)
        conns.cv.wait_until(lk, std::min(deadline, std::chrono::steady_clock::now() + std::chrono::milliseconds(100)));
    if (ctx.requests.size() > 0) {
        fmt::print(stderr, "ttscale serve: cancelling {} request(s) still running\n", ctx.requests.size());
        ctx.requests.cancel_all("shutdown");
    }
    for (http_session * s : conns.live) s->close_if_idle();
}

}  // namespace

status run_server(const server_options & opt, std::function<void(uint16_t)> on_listening) {
    auto dec = model::decoder::load(opt.model, opt.threads);
    if (!dec) return dec.error();
    engine::engine_options eo;
    eo.kv_bytes = size_t(opt.kv_mib * 1048576.0);
    engine::engine eng(*dec.value(), eo);
    metrics stats;
    engine_loop loop(eng, stats);
    controller::engine_backend inner(eng, *dec.value());
    waking_backend backend(inner, loop);
    request_registry requests;
    server_context ctx{opt, *dec.value(), backend, stats, requests, std::filesystem::path(opt.model).stem().string(),
                       int64_t(std::time(nullptr))};
    router r(ctx);

    static net::io_context io;   // outlives this thread's fiber scheduler, which keeps a timer on it (fiber_io.h)
    tcp::acceptor acceptor(io);
    boost::system::error_code ec;
    const auto addr = net::ip::make_address(opt.host, ec);
    if (ec) return status::invalid_argument("--host " + opt.host + ": " + ec.message());
    const tcp::endpoint ep(addr, opt.port);
    if (acceptor.open(ep.protocol(), ec); !ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor.bind(ep, ec);
    if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
    if (ec) return status::unavailable(fmt::format("cannot listen on {}:{}: {}", opt.host, opt.port, ec.message()));
    loop.start();

    connection_set conns;
    net::signal_set signals(io, SIGTERM, SIGINT);
    controller::run_fibers_with_io(io, [&] {
        boost::fibers::fiber on_signal([&] {
            boost::system::error_code sec;
            signals.async_wait(yield[sec]);
            if (sec) return;   // cancelled: the server ended another way
            fmt::print(stderr, "ttscale serve: shutting down\n");
            shut_down(ctx, acceptor, conns);
        });
        if (on_listening) on_listening(acceptor.local_endpoint().port());
        while (!ctx.is_shutting_down) {
            boost::system::error_code aec;
            tcp::socket sock = acceptor.async_accept(yield[aec]);
            if (aec) {
                if (ctx.is_shutting_down || aec == net::error::operation_aborted) break;
                continue;   // e.g. too many open files: keep serving the others
            }
            sock.set_option(tcp::no_delay(true), aec);
            boost::fibers::fiber(std::allocator_arg, boost::fibers::protected_fixedsize_stack(size_t(1) << 20),
                                 [&, s = std::move(sock)]() mutable { serve_connection(std::move(s), ctx, r, conns); })
                .detach();
        }
        std::unique_lock lk(conns.mu);
        conns.cv.wait(lk, [&] { return conns.live.empty(); });
        lk.unlock();
        boost::system::error_code sec;
        signals.cancel(sec);
        on_signal.join();
    });
    loop.stop();
    return status::ok();
}

}  // namespace tts::server
