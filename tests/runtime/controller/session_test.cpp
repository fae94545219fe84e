#include "runtime/controller/session.h"

#include <doctest/doctest.h>

#include "tests/support/scripted_decoder.h"

using namespace tts;
using controller::session;
using controller::stop_cause;
using controller::thread_id;
using test::script;
using test::scripted_decoder;

namespace {

const boost::fibers::launch k_policies[] = {boost::fibers::launch::post, boost::fibers::launch::dispatch};

controller::session_options opts(boost::fibers::launch l) {
    controller::session_options o;
    o.params.max_tokens = 1000;
    o.launch = l;
    return o;
}

// The scripted decoder erases finished sequences at the end of the step that finished them.
bool drains(scripted_decoder & d) {
    for (int i = 0; i < 1000 && d.n_live_for_testing() != 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return d.n_live_for_testing() == 0;
}

// Runs fn in a fiber launched with policy l, and waits for it from the main context.
template <typename F>
void in_fiber(boost::fibers::launch l, F fn) {
    boost::fibers::fiber f(l, fn);
    f.join();
}

}  // namespace

TEST_CASE("spawn, join: records hold every token, text and finish reason") {
    for (auto l : k_policies) {
        scripted_decoder dec({script{.text = "abc"}, script{.text = "hello", .end = engine::finish_reason::max_tokens}});
        in_fiber(l, [&] {
            session s(dec, opts(l));
            auto t = s.spawn(dec.tokenize("prompt"), {.n = 2});
            REQUIRE(t.size() == 2);
            s.join(t);
            CHECK(s.text(t[0]) == "abc");
            CHECK(s.thread(t[0]).n_generated == 4);   // EOS counts
            CHECK(s.thread(t[0]).finish == engine::finish_reason::eos);
            CHECK(s.text(t[1]) == "hello");
            CHECK(s.thread(t[1]).finish == engine::finish_reason::max_tokens);
            CHECK(s.n_tokens_total() == 9);
            CHECK(s.status() == "ok");
            CHECK(s.kv_bytes_peak() > 0);
        });
        CHECK(drains(dec));
    }
}

TEST_CASE("next_finished returns threads in decode order, then nullopt") {
    for (auto l : k_policies) {
        scripted_decoder dec({script{.text = "aaaaa"}, script{.text = "aaa"}, script{.text = "aaaa"}, script{.text = "aaa"}});
        in_fiber(l, [&] {
            session s(dec, opts(l));
            auto t = s.spawn(dec.tokenize("p"), {.n = 4});
            std::vector<thread_id> order;
            while (auto f = s.next_finished(t)) order.push_back(*f);
            CHECK(order == std::vector<thread_id>{1, 3, 2, 0});   // same step: lower index first
        });
    }
}

TEST_CASE("stop_after_finished cancels the others at the next step, exactly") {
    for (auto l : k_policies) {
        scripted_decoder dec({script{.text = "abc"}, script{.text = "abcdefgh"}, script{.text = "abcdefghijkl"}});
        in_fiber(l, [&] {
            session s(dec, opts(l));
            controller::spawn_options o{.n = 3};
            o.rules.stop_after_m = 1;
            auto t = s.spawn(dec.tokenize("p"), o);
            s.join(t);
            CHECK(s.thread(t[0]).finish == engine::finish_reason::eos);
            for (int i : {1, 2}) {
                CHECK(s.thread(t[i]).finish == engine::finish_reason::cancelled);
                CHECK(s.thread(t[i]).cause == stop_cause::stop_rule);
                CHECK(s.thread(t[i]).n_generated == 4);
                CHECK(s.thread(t[i]).finish_name() == "stopped_after_m_finished");
            }
            CHECK(s.n_tokens_total() == 12);
        });
    }
}

TEST_CASE("end of thinking counts as finished for the stop rule in reasoning mode") {
    scripted_decoder dec({script{.text = "ab</think>x=1"}, script{.text = "abcdefgh</think>2"}, script{.text = "abc</think>3"}},
                         /*reasoning=*/true);
    session s(dec, opts(boost::fibers::launch::post));
    controller::spawn_options o{.n = 3};
    o.rules.stop_after_m = 2;
    o.rules.on_think_end = true;
    auto t = s.spawn(dec.tokenize("p"), o);
    std::vector<thread_id> done;
    while (done.size() < 2)
        if (auto f = s.next_finished(t, {.on_think_end = true}))
            done.push_back(*f);
        else
            break;
    s.join(t);
    CHECK(done == std::vector<thread_id>{0, 2});
    CHECK(s.thread(0).think_end_at == 3);
    CHECK(s.thread(2).think_end_at == 4);
    CHECK(s.thread(0).finish == engine::finish_reason::eos);   // thought, then went on to answer
    CHECK(s.thread(2).finish == engine::finish_reason::eos);
    CHECK(s.thread(1).cause == stop_cause::stop_rule);
    CHECK(s.thread(1).n_generated == 4);
}

// Breaking it: counting a max_tokens truncation as a finish would cancel threads 1 and 2 after
// step 4 and return thread 0 first; a global rule state would let the second group's rule
// cancel the first group's threads.
TEST_CASE("truncated threads do not count as finished unless asked; stop rules are per group") {
    for (auto l : k_policies) {
        scripted_decoder dec({script{.text = "abcd", .end = engine::finish_reason::max_tokens},
                              script{.text = "abcdefgh"}, script{.text = "abcdefghijkl"}});
        in_fiber(l, [&] {
            session s(dec, opts(l));
            controller::spawn_options o{.n = 3};
            o.rules.stop_after_m = 1;
            auto t = s.spawn(dec.tokenize("p"), o);
            CHECK(s.next_finished(t) == t[1]);  // the truncated one is skipped
            s.join(t);
            CHECK(s.thread(t[0]).kind() == controller::finish_class::truncated);
            CHECK(s.thread(t[1]).kind() == controller::finish_class::answered);
            CHECK(s.thread(t[2]).kind() == controller::finish_class::cancelled);
            CHECK(s.thread(t[2]).n_generated == 9);  // stopped on the answer's step
            CHECK(s.thread(t[0]).counts_as_finished(/*with_truncated=*/true));
            CHECK_FALSE(s.thread(t[0]).counts_as_finished(false));
            // The same race counting truncations: thread 0 wins at its 4th token.
            o.rules.with_truncated = true;
            auto u = s.spawn(dec.tokenize("p"), o);
            CHECK(s.next_finished(u, {.with_truncated = true}) == u[0]);
            s.join(u);
            CHECK(s.thread(u[1]).n_generated == 4);
            CHECK(s.thread(u[1]).cause == stop_cause::stop_rule);
            // Two groups with rules at once: each counts and cancels only its own members.
            controller::spawn_options one{.n = 3};
            one.rules.stop_after_m = 3;
            auto a = s.spawn(dec.tokenize("p"), one);
            auto b = s.spawn(dec.tokenize("q"), o);
            s.join(a);
            s.join(b);
            CHECK(s.thread(a[2]).kind() == controller::finish_class::answered);  // rule a never fired (2 answered)
            CHECK(s.thread(b[1]).cause == stop_cause::stop_rule);
        });
    }
}

TEST_CASE("finish classes: KV exhaustion fails, budgets truncate") {
    scripted_decoder dec(
        {script{.text = "ab", .end = engine::finish_reason::kv_exhausted}, script{.text = std::string(100, 'x')}});
    controller::session_options o = opts(boost::fibers::launch::post);
    o.limits.max_total_tokens = 20;
    session s(dec, o);
    auto t = s.spawn(dec.tokenize("p"), {.n = 2});
    s.join(t);
    CHECK(s.thread(t[0]).finish == engine::finish_reason::kv_exhausted);
    CHECK(s.thread(t[0]).kind() == controller::finish_class::failed);
    CHECK(s.thread(t[1]).cause == stop_cause::budget_tokens);
    CHECK(s.thread(t[1]).kind() == controller::finish_class::truncated);
    CHECK(s.n_tokens_prompt() == 1);  // one prompt token, shared by both threads
}

TEST_CASE("token budget cancels every live thread and shows in status") {
    for (auto l : k_policies) {
        scripted_decoder dec({script{.text = std::string(50, 'a')}});
        in_fiber(l, [&] {
            auto o = opts(l);
            o.limits.max_total_tokens = 10;
            session s(dec, o);
            auto t = s.spawn(dec.tokenize("p"), {.n = 3});
            s.join(t);
            CHECK(s.status() == "budget: budget_tokens");
            CHECK(s.n_tokens_total() == 12);   // the step that reached 10 completes: 4 steps x 3
            for (thread_id i : t) CHECK(s.thread(i).cause == stop_cause::budget_tokens);
            CHECK(s.spawn(dec.tokenize("p"), {.n = 1}).empty());   // nothing new after a budget ran out
        });
    }
}

TEST_CASE("wall budget stops threads that never finish") {
    scripted_decoder dec({script{.text = std::string(5, 'a')}});
    auto o = opts(boost::fibers::launch::post);
    o.limits.max_wall_seconds = 0.05;
    session s(dec, o);
    // Paused on the decoding thread after their first token (s.pause() could come too late
    // when the decoder runs ahead, e.g. under TSan, and the 5-token script would finish).
    controller::spawn_options so{.n = 2};
    so.rules.pause_at = 1;
    auto t = s.spawn(dec.tokenize("p"), so);
    s.join(t);
    CHECK(s.status() == "budget: budget_wall");
}

TEST_CASE("KV budget and live-thread limit") {
    scripted_decoder dec({script{.text = std::string(40, 'a')}});
    auto o = opts(boost::fibers::launch::post);
    o.limits.max_kv_bytes = 1024 * 30;   // 1 KiB per token in the scripted decoder
    o.limits.max_live_threads = 2;
    session s(dec, o);
    auto t = s.spawn(dec.tokenize("pp"), {.n = 5});
    CHECK(t.size() == 2);
    s.join(t);
    CHECK(s.status() == "budget: budget_kv");
    CHECK(s.kv_bytes_peak() > 1024 * 30);
}

TEST_CASE("pause_at + fork with injection: an exact answer probe, source stays paused") {
    for (auto l : k_policies) {
        scripted_decoder dec({script{.text = "abcdefgh \\boxed{7}", .probe = "42}"}});
        in_fiber(l, [&] {
            session s(dec, opts(l));
            controller::spawn_options o{.n = 1};
            o.rules.pause_at = 3;
            auto t = s.spawn(dec.tokenize("p"), o);
            s.wait_tokens(t[0], 3);
            CHECK(s.thread(t[0]).is_paused);
            CHECK(s.text(t[0]) == "abc");
            auto f = s.fork(t[0], {.inject = dec.tokenize("\\boxed{"), .max_new_tokens = 2, .role = "probe"});
            REQUIRE(f);
            s.join(std::vector<thread_id>{*f});
            CHECK(s.text(*f) == "\\boxed{42");
            CHECK(s.thread(*f).finish == engine::finish_reason::max_tokens);
            CHECK(s.thread(t[0]).n_generated == 3);   // did not move while probed
            s.resume(t[0]);
            s.join(t);
            CHECK(s.text(t[0]) == "abcdefgh \\boxed{7}");
        });
    }
}

TEST_CASE("low-confidence stop fires once the window mean drops below the bar") {
    script sc{.text = std::string(30, 'a')};
    for (int i = 0; i < 30; ++i) sc.logprobs.push_back(i < 10 ? -0.1f : -3.0f);
    scripted_decoder dec({sc});
    auto o = opts(boost::fibers::launch::post);
    o.params.sampling.n_top_logprobs = 20;
    session s(dec, o);
    controller::spawn_options so{.n = 1};
    so.rules.conf_window = 4;
    so.rules.conf_threshold = 4.0;   // lp -0.1 -> confidence 5.04; lp -3 -> 3.0
    auto t = s.spawn(dec.tokenize("p"), so);
    s.join(t);
    CHECK(s.thread(t[0]).cause == stop_cause::conf_early_stop);
    // the 4-token window mean first drops below 4 with three low tokens in it: token 13.
    CHECK(s.thread(t[0]).n_generated == 13);
}

TEST_CASE("several fibers wait on one session at once") {
    for (auto l : k_policies) {
        scripted_decoder dec({script{.text = "aaaaaaaa"}, script{.text = "aa"}});
        session s(dec, opts(l));
        auto t = s.spawn(dec.tokenize("p"), {.n = 2});
        std::optional<thread_id> first;
        bool saw5 = false;
        boost::fibers::fiber a(l, [&] { first = s.next_finished(t); });
        boost::fibers::fiber b(l, [&] {
            s.wait_tokens(t[0], 5);
            saw5 = s.thread(t[0]).n_generated >= 5;
        });
        a.join();
        b.join();
        s.join(t);
        CHECK(first == thread_id(1));
        CHECK(saw5);
    }
}

TEST_CASE("destroying a session cancels its live threads") {
    scripted_decoder dec({script{.text = std::string(100000, 'a')}});
    {
        session s(dec, opts(boost::fibers::launch::post));
        s.spawn(dec.tokenize("p"), {.n = 3});
        s.wait_tokens(0, 2);
    }
    CHECK(drains(dec));
}
