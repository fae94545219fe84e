#include "strategies/registry.h"

#include <cmath>

#include "tests/strategies/strategy_test_util.h"

using namespace tts;

TEST_CASE("self_consistency: the majority wins, every thread runs to the end") {
    for (auto l : test::k_policies) {
        test::scripted_decoder dec({test::answer("a", "41"), test::answer("bb", "42"), test::answer("ccc", "42"),
                                    test::answer("dddd", "7"), test::script{.text = "no answer here"}});
        auto v = test::run(dec, "self_consistency", {{"k", "5"}}, l);
        CHECK(v.answer == "42");
        REQUIRE(v.votes.has_winner());
        CHECK(v.votes.winner().n_votes == 2);
        CHECK(v.votes.n_abstained == 1);
        for (auto & t : v.threads) CHECK(t.finish_reason == "eos");
        CHECK(v.n_tokens_total == test::sum_tokens(v));
    }
}

TEST_CASE("self_consistency: ties go to the lowest thread index by default, shortest on request") {
    test::scripted_decoder dec({test::answer("long long long", "1"), test::answer("s", "2")});
    CHECK(test::run(dec, "self_consistency", {{"k", "2"}}).answer == "1");
    CHECK(test::run(dec, "self_consistency", {{"k", "2"}, {"tie", "shortest"}}).answer == "2");
}

TEST_CASE("self_consistency: weighted variants follow the log-probs") {
    test::scripted_decoder dec({test::answer("a", "1", -2.0f), test::answer("b", "1", -2.0f), test::answer("c", "2", -0.01f),
                                test::answer("d", "2", -0.01f), test::answer("e", "1", -2.0f)});
    CHECK(test::run(dec, "self_consistency", {{"k", "5"}}).answer == "1");
    // exp(-2) * 3 = 0.41 < exp(-0.01) * 2 = 1.98
    CHECK(test::run(dec, "self_consistency", {{"k", "5"}, {"weighting", "mean_logprob"}}).answer == "2");
    CHECK(test::run(dec, "self_consistency", {{"k", "5"}, {"weighting", "deepconf"}, {"window", "4"}}).answer == "2");
}

TEST_CASE("self_consistency: a token budget stops everyone; only finished threads vote") {
    test::scripted_decoder dec({test::answer("a", "3"), test::answer(std::string(200, 'x'), "9")});
    auto v = test::run(dec, "self_consistency", {{"k", "2"}, {"max_total_tokens", "40"}});
    CHECK(v.status == "budget: budget_tokens");
    CHECK(v.answer == "3");
    CHECK(v.threads[1].finish_reason == "budget_tokens");
}

TEST_CASE("self_consistency: all threads failing gives no answer") {
    test::scripted_decoder dec({test::script{.text = "hmm"}});
    auto v = test::run(dec, "self_consistency", {{"k", "3"}});
    CHECK(!v.answer);
    CHECK(!v.votes.has_winner());
}

// Breaking it: letting truncated threads vote makes the two cut "9"s outvote the finished "4".
TEST_CASE("self_consistency: truncated threads do not vote unless truncated=vote; weights are stored as confidence") {
    test::scripted_decoder dec({test::answer("a", "4"), test::script{.text = "\\boxed{9} " + std::string(40, 'z')},
                                test::script{.text = "\\boxed{9} " + std::string(40, 'y')}});
    auto v = test::run(dec, "self_consistency", {{"k", "3"}, {"max_tokens", "20"}});
    CHECK(v.answer == "4");
    CHECK(v.votes.n_voters == 1);
    CHECK(v.threads[1].finish_class == "truncated");
    CHECK(test::run(dec, "self_consistency", {{"k", "3"}, {"max_tokens", "20"}, {"truncated", "vote"}}).answer == "9");
    auto w = test::run(dec, "self_consistency", {{"k", "3"}, {"max_tokens", "20"}, {"weighting", "mean_logprob"}});
    CHECK(w.threads[0].confidence == doctest::Approx(std::exp(-0.5)));  // the weight, exp(mean log-prob)
    CHECK(strategy::validate_strategy("self_consistency", {{"weighting", "deepconf"}}, {.max_tokens = 100})
              .message()
              .find("self_consistency.window") != std::string::npos);
}
