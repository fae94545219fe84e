#include "strategies/registry.h"

#include <cmath>

#include "tests/strategies/strategy_test_util.h"

using namespace tts;

namespace {

// A trace `reasoning` + " \boxed{ans}" whose tokens are confident (lp -0.05) except `bad`
// unsure ones (lp -3) from token `at` on.
test::script trace(const std::string & ans, int bad, int at = 4, const std::string & reasoning = std::string(20, 'r')) {
    test::script s = test::answer(reasoning, ans, -0.05f);
    for (int i = 0; i < at + bad; ++i) s.logprobs.push_back(i < at ? -0.05f : -3.0f);
    return s;
}

// A trace that writes its answer first, then turns unsure at token 12 (after "\boxed{13} ").
test::script early_answer_then_unsure(const std::string & ans) {
    test::script s{.text = "\\boxed{" + ans + "} " + std::string(20, 'r'), .logprob = -0.05f};
    for (int i = 0; i < 11; ++i) s.logprobs.push_back(-0.05f);
    for (int i = 0; i < 20; ++i) s.logprobs.push_back(-3.0f);
    return s;
}

// The scripted decoder's token confidence with 20 top log-probs (tests/support/scripted_decoder.h).
double conf(double lp) {
    return -(lp + 19.0 * std::log((1.0 - std::exp(lp)) / 19.0)) / 20.0;
}

}  // namespace

// Breaking it: keeping the least confident warm-up traces (a flipped threshold) makes "13" win;
// letting stopped traces vote puts their "13" (written before the stop) in the vote table;
// storing the mean log-prob as confidence fails the score check; 2 x max sequential gives 64.
TEST_CASE("deepconf online: the most confident warm-up traces set the bar and vote; stopped traces do not vote") {
    for (auto l : test::k_policies) {
        // Warm-up (request 0): 5 traces with 0..4 unsure tokens; the two most confident say 42.
        // Final phase (request 1): one confident 42, four that answer 13 and then turn unsure.
        test::scripted_decoder dec(test::scripted_decoder::picker([](const test::scripted_request & r) {
            if (r.request_index == 0) return trace(r.thread_index < 2 ? "42" : "13", r.thread_index);
            return r.thread_index == 0 ? trace("42", 0, 4, std::string(10, 'r')) : early_answer_then_unsure("13");
        }));
        auto v = test::run(dec, "deepconf", {{"k", "10"}, {"n_init", "5"}, {"window", "4"}, {"keep_percent", "40"}}, l);
        CHECK(v.answer == "42");
        REQUIRE(v.votes.has_winner());
        CHECK(v.votes.table.size() == 1);      // no "13" row: neither low warm-up traces nor stopped ones voted
        CHECK(v.votes.winner().n_votes == 3);  // warm-up 0 and 1 (percentile 60 of 5 keeps 2), final 0
        int stopped = 0;
        for (auto & t : v.threads) {
            if (t.finish_reason != "conf_early_stop") continue;
            ++stopped;
            CHECK(t.answer == "13");  // it had an answer ...
            CHECK_FALSE(t.voted);     // ... and did not vote
            CHECK(t.n_tokens == 13);  // stopped on its 2nd unsure token (window mean 4.33 < bar 4.60)
            CHECK(t.finish_class == "cancelled");
        }
        CHECK(stopped == 4);
        // Stored confidence = the lowest group confidence that filtered and weighted the trace.
        const double hi = conf(-0.05), lo = conf(-3.0);
        for (int b = 0; b < 5; ++b)
            CHECK(v.threads[size_t(b)].confidence == doctest::Approx(((4 - b) * hi + b * lo) / 4).epsilon(1e-4));
        CHECK(v.n_tokens_sequential == 32 + 22);  // the longest warm-up, then the longest final trace
    }
}

TEST_CASE("deepconf offline: the least confident traces are filtered out before the vote") {
    test::scripted_decoder dec({trace("7", 10), trace("7", 10), trace("7", 10), trace("5", 0), trace("5", 0)});
    CHECK(test::run(dec, "self_consistency", {{"k", "5"}}).answer == "7");
    auto v = test::run(dec, "deepconf", {{"mode", "offline"}, {"k", "5"}, {"window", "4"}, {"keep_percent", "40"}});
    CHECK(v.answer == "5");
    CHECK(v.votes.n_voters == 2);
}

// Breaking it: accepting these would run "DeepConf" with no early stop or a one-trace warm-up
// vote, with nothing in the results to say so.
TEST_CASE("deepconf: parameters that cannot take effect are errors naming the key and why") {
    auto s = strategy::validate_strategy("deepconf", {{"keep_percent", "120"}});
    CHECK(s.message().find("deepconf.keep_percent") != std::string::npos);
    CHECK(!strategy::validate_strategy("deepconf", {{"k", "2"}, {"n_init", "4"}}).is_ok());
    CHECK(strategy::validate_strategy("deepconf", {{"k", "4"}, {"n_init", "4"}, {"keep_percent", "90"}})
              .message()
              .find("deepconf.n_init: expected n_init < k") != std::string::npos);
    // The window must fit in a thread, or early stopping never fires.
    const strategy::strategy_limits l{.max_tokens = 192};
    s = strategy::validate_strategy("deepconf", {{"k", "8"}, {"n_init", "4"}, {"keep_percent", "90"}}, l);
    CHECK(s.message().find(
              "deepconf.window: a group window of 2048 tokens is longer than any thread (max_tokens = 192)") !=
          std::string::npos);
    CHECK(strategy::validate_strategy("deepconf",
                                      {{"k", "8"}, {"n_init", "4"}, {"keep_percent", "90"}, {"window", "32"}}, l)
              .is_ok());
    // eta = 10 of 4 warm-up traces keeps one: the warm-up vote is a single trace.
    s = strategy::validate_strategy("deepconf", {{"k", "8"}, {"n_init", "4"}, {"window", "32"}}, l);
    CHECK(s.message().find("deepconf.n_init") != std::string::npos);
    CHECK(s.message().find("only 1 of n_init = 4") != std::string::npos);
    CHECK(s.message().find("n_init >= 11") != std::string::npos);
    CHECK(strategy::validate_strategy("deepconf", {{"k", "32"}, {"n_init", "16"}, {"window", "32"}}, l).is_ok());
    // At run time too: the session's max_tokens is the limit.
    test::scripted_decoder dec({trace("1", 0)});
    controller::session_options so;
    so.params.max_tokens = 100;
    controller::session sess(dec, so);
    auto r = strategy::run_strategy("deepconf", {{"k", "8"}, {"n_init", "4"}, {"keep_percent", "90"}}, sess,
                                    test::question("q"));
    REQUIRE_FALSE(r.is_ok());
    CHECK(r.error().message().find("deepconf.window") != std::string::npos);
    CHECK(sess.n_threads() == 0);  // refused before anything ran
}
