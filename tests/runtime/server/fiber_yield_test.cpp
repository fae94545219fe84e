#include "runtime/server/fiber_yield.h"

#include <doctest/doctest.h>

#include <thread>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/fiber/all.hpp>

#include "runtime/controller/fiber_io.h"

using namespace tts;
namespace net = boost::asio;
using tcp = net::ip::tcp;

// One loopback exchange driven entirely by fibers on one thread: while the server fiber waits
// for bytes, the client fiber and a timer fiber run. If yield suspended the thread instead of
// the fiber, this would deadlock (and the test would time out).
TEST_CASE("yield[ec] suspends only the calling fiber; errors land in ec or throw") {
    static net::io_context io;   // outlives the thread's fiber scheduler
    std::string got, reply;
    int n_ticks = 0;
    boost::system::error_code refused;
    bool thrown = false;
    std::thread t([&] {
        controller::run_fibers_with_io(io, [&] {
            tcp::acceptor acc(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
            const uint16_t port = acc.local_endpoint().port();
            boost::fibers::fiber ticker([&] {
                for (int i = 0; i < 3; ++i) {
                    net::steady_timer tm(io, std::chrono::milliseconds(1));
                    tm.async_wait(server::yield);
                    ++n_ticks;
                }
            });
            boost::fibers::fiber srv([&] {
                boost::system::error_code ec;
                tcp::socket s = acc.async_accept(server::yield[ec]);
                REQUIRE(!ec);
                char buf[4];
                const size_t n = net::async_read(s, net::buffer(buf), server::yield[ec]);
                got.assign(buf, n);
                net::async_write(s, net::buffer(std::string("pong")), server::yield[ec]);
            });
            tcp::socket c(io);
            c.async_connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port), server::yield);
            net::async_write(c, net::buffer(std::string("ping")), server::yield);
            char buf[4];
            net::async_read(c, net::buffer(buf), server::yield);
            reply.assign(buf, 4);
            srv.join();
            ticker.join();
            // A refused connection: the error comes back in ec, or as an exception.
            acc.close();
            tcp::socket d(io);
            d.async_connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port), server::yield[refused]);
            tcp::socket e(io);
            try {
                e.async_connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port), server::yield);
            } catch (const boost::system::system_error &) {
                thrown = true;
            }
        });
    });
    t.join();
    CHECK(got == "ping");
    CHECK(reply == "pong");
    CHECK(n_ticks == 3);
    CHECK(refused == net::error::connection_refused);
    CHECK(thrown);
}
