#include "runtime/controller/session.h"

#include <doctest/doctest.h>

#include <thread>

#include <boost/fiber/all.hpp>

#include "strategies/registry.h"
#include "tests/support/scripted_decoder.h"

using namespace tts;

// strategy_job relies on session::abort(): a client that goes away must stop its strategy at
// once, cancel every thread (freeing their KV) and keep the strategy from starting new ones.
// Without abort, self_consistency would run all four 2M-token threads to the end (seconds even
// for the scripted decoder), so the abort below lands long before any thread could finish.
TEST_CASE("abort stops a running strategy: every thread cancelled, nothing new spawned") {
    test::scripted_decoder dec({test::script{.text = std::string(2'000'000, 'a')}});
    strategy::verdict v;
    {
        controller::session s(dec, {.params = {.max_tokens = 3'000'000}});
        boost::fibers::fiber worker([&] {
            auto r = strategy::run_strategy("self_consistency", {{"k", "4"}}, s, {.text = "q"});
            REQUIRE(r.is_ok());
            v = r.value();
        });
        while (s.n_tokens_total() < 40) boost::this_fiber::sleep_for(std::chrono::milliseconds(1));
        s.abort(controller::stop_cause::session_closed);
        CHECK(s.spawn(dec.tokenize("again"), {.n = 2}).empty());
        worker.join();
        CHECK(s.is_aborted());
    }
    REQUIRE(v.threads.size() == 4);
    for (const auto & t : v.threads) {
        CHECK(t.finish_reason == "session_closed");
        CHECK(t.n_tokens < 2'000'000);
    }
    CHECK(v.n_tokens_total < 4 * 2'000'000);
    // The scripted decoder drops finished sequences at the end of the step that ended them.
    for (int i = 0; i < 1000 && dec.n_live_for_testing() != 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    CHECK(dec.n_live_for_testing() == 0);
}
