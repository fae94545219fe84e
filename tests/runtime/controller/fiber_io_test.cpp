#include "runtime/controller/fiber_io.h"

#include <doctest/doctest.h>

#include <thread>

#include <boost/asio/steady_timer.hpp>

#include "runtime/controller/session.h"
#include "tests/support/scripted_decoder.h"

using namespace tts;

TEST_CASE("fibers, Asio timers and engine events share one thread") {
    static boost::asio::io_context io;   // outlives the thread's scheduler
    test::scripted_decoder dec({test::script{.text = "abcdef"}});
    bool timer_fired = false;
    int32_t n_tokens = 0;
    bool slept = false;
    controller::run_fibers_with_io(io, [&] {
        boost::asio::steady_timer timer(io, std::chrono::milliseconds(5));
        timer.async_wait([&](const boost::system::error_code &) { timer_fired = true; });
        boost::fibers::fiber sleeper([&] {
            boost::this_fiber::sleep_for(std::chrono::milliseconds(10));
            slept = true;
        });
        controller::session s(dec, {});
        auto t = s.spawn(dec.tokenize("p"), {.n = 2});
        s.join(t);
        n_tokens = int32_t(s.n_tokens_total());
        sleeper.join();
        while (!timer_fired) boost::this_fiber::yield();
    });
    CHECK(timer_fired);
    CHECK(slept);
    CHECK(n_tokens == 14);
}

TEST_CASE("an exception in the main fiber comes back to the caller") {
    static boost::asio::io_context io;
    bool thrown = false;
    std::thread t([&] {   // run_fibers_with_io installs its scheduler once per thread
        try {
            controller::run_fibers_with_io(io, [] { throw std::runtime_error("boom"); });
        } catch (const std::runtime_error &) {
            thrown = true;
        }
    });
    t.join();
    CHECK(thrown);
}
