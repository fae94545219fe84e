#include "strategies/registry.h"

#include "tests/strategies/strategy_test_util.h"

using namespace tts;

TEST_CASE("best_of_n: the most likely chain wins over the majority") {
    for (auto l : test::k_policies) {
        test::scripted_decoder dec({test::answer("a", "1", -1.0f), test::answer("b", "1", -1.0f), test::answer("c", "2", -0.1f)});
        auto v = test::run(dec, "best_of_n", {{"k", "3"}}, l);
        CHECK(v.answer == "2");
        CHECK(v.votes.n_voters == 1);
    }
}

TEST_CASE("best_of_n: weighted mode sums scores per answer; self-certainty scorer") {
    test::scripted_decoder dec({test::answer("a", "1", -0.3f), test::answer("b", "1", -0.3f), test::answer("c", "2", -0.1f)});
    CHECK(test::run(dec, "best_of_n", {{"k", "3"}, {"mode", "weighted"}}).answer == "1");
    CHECK(test::run(dec, "best_of_n", {{"k", "3"}, {"scorer", "self_certainty"}}).answer == "2");
}
