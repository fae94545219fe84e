#include "strategies/registry.h"

#include "tests/strategies/strategy_test_util.h"

using namespace tts;

TEST_CASE("single: one thread, its answer, its cost") {
    for (auto l : test::k_policies) {
        test::scripted_decoder dec({test::answer("six sevens", "42")});
        auto v = test::run(dec, "single", {}, l);
        CHECK(v.answer == "42");
        REQUIRE(v.threads.size() == 1);
        CHECK(v.threads[0].finish_reason == "eos");
        CHECK(v.n_tokens_total == v.threads[0].n_tokens);
        CHECK(v.n_tokens_sequential == v.threads[0].n_tokens);
        CHECK(v.status == "ok");
    }
}

TEST_CASE("single: no answer in the text gives no answer") {
    test::scripted_decoder dec({test::script{.text = "I do not know"}});
    auto v = test::run(dec, "single", {});
    CHECK(!v.answer);
}
