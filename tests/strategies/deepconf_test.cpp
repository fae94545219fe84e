#include "strategies/registry.h"

#include "tests/strategies/strategy_test_util.h"

using namespace tts;

namespace {
// A trace whose tokens are confident (lp -0.05) except a stretch of `bad` unsure tokens (lp -3).
test::script trace(const std::string & ans, int bad, int at = 4) {
    test::script s = test::answer(std::string(20, 'r'), ans, -0.05f);
    for (int i = 0; i < at + bad; ++i) s.logprobs.push_back(i < at ? -0.05f : -3.0f);
    return s;
}
}  // namespace

TEST_CASE("deepconf online: warm-up sets the bar, unsure final traces stop early and do not vote") {
    for (auto l : test::k_policies) {
        // warm-up (threads 0-3 of the first request) are confident; in the final phase the
        // unsure traces answer 13 and are stopped; the confident one answers 42.
        test::scripted_decoder dec(test::scripted_decoder::picker([](const test::scripted_request & r) {
            if (r.request_index == 0) return trace(r.thread_index < 3 ? "42" : "41", 0);
            return r.thread_index == 0 ? trace("42", 0) : trace("13", 12);
        }));
        auto v = test::run(dec, "deepconf", {{"k", "8"}, {"n_init", "4"}, {"window", "4"}, {"keep_percent", "90"}}, l);
        CHECK(v.answer == "42");
        int stopped = 0;
        for (auto & t : v.threads) stopped += t.finish_reason == "conf_early_stop";
        CHECK(stopped == 3);
        for (auto & t : v.threads)
            if (t.finish_reason == "conf_early_stop") CHECK(t.n_tokens == 5);   // the first unsure token in a full window
    }
}

TEST_CASE("deepconf offline: the least confident traces are filtered out before the vote") {
    test::scripted_decoder dec({trace("7", 10), trace("7", 10), trace("7", 10), trace("5", 0), trace("5", 0)});
    CHECK(test::run(dec, "self_consistency", {{"k", "5"}}).answer == "7");
    auto v = test::run(dec, "deepconf", {{"mode", "offline"}, {"k", "5"}, {"window", "4"}, {"keep_percent", "40"}});
    CHECK(v.answer == "5");
    CHECK(v.votes.n_voters == 2);
}

TEST_CASE("deepconf: bad parameters name the key") {
    auto s = strategy::validate_strategy("deepconf", {{"keep_percent", "120"}});
    CHECK(s.message().find("deepconf.keep_percent") != std::string::npos);
    CHECK(!strategy::validate_strategy("deepconf", {{"k", "2"}, {"n_init", "4"}}).is_ok());
}
