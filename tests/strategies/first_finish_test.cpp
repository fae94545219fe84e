#include "strategies/registry.h"

#include "tests/strategies/strategy_test_util.h"

using namespace tts;

TEST_CASE("first_finish: the first finisher answers; the rest stop on the next step") {
    for (auto l : test::k_policies) {
        test::scripted_decoder dec({test::answer("slow slow slow", "1"), test::answer("fast", "2"), test::answer("medium med", "3")});
        auto v = test::run(dec, "first_finish", {{"k", "3"}}, l);
        CHECK(v.answer == "2");
        const int64_t n = v.threads[1].n_tokens;   // " \boxed{2}" + "fast" + EOS
        CHECK(v.threads[1].finish_reason == "eos");
        for (int i : {0, 2}) {
            CHECK(v.threads[i].finish_reason == "stopped_after_m_finished");
            CHECK(v.threads[i].n_tokens == n);
        }
        CHECK(v.n_tokens_total == 3 * n);
        CHECK(v.threads[1].voted);
    }
}

TEST_CASE("first_finish: same-step tie goes to the lowest index; no answer falls back to the next") {
    test::scripted_decoder dec({test::script{.text = "abcdefghijk"}, test::answer("x", "5"), test::answer("y", "6")});
    auto v = test::run(dec, "first_finish", {{"k", "3"}});
    CHECK(v.answer == "5");
}

TEST_CASE("first_finish: a single thread, and nobody answering") {
    test::scripted_decoder dec({test::script{.text = "nothing"}});
    auto v = test::run(dec, "first_finish", {{"k", "1"}});
    CHECK(!v.answer);
    CHECK(v.threads.size() == 1);
}

// Breaking it: counting a max_tokens cut as a finish lets thread 0 (lower index, same step) win
// with the number its unfinished text happens to hold.
TEST_CASE("first_finish: a thread truncated at max_tokens does not win the race (unless truncated=vote)") {
    for (auto l : test::k_policies) {
        test::scripted_decoder dec({test::script{.text = "\\boxed{3} zzzzzzzzzzzzzzzzzz"}, test::answer("aaaaa", "5")});
        auto v = test::run(dec, "first_finish", {{"k", "2"}, {"max_tokens", "16"}}, l);
        CHECK(v.answer == "5");
        CHECK(v.threads[0].finish_class == "truncated");
        CHECK_FALSE(v.threads[0].voted);
        CHECK(v.threads[1].voted);
        CHECK(test::run(dec, "first_finish", {{"k", "2"}, {"max_tokens", "16"}, {"truncated", "vote"}}, l).answer ==
              "3");
        // Nobody answering: no answer.
        test::scripted_decoder cut({test::script{.text = "\\boxed{3} " + std::string(40, 'z')}});
        auto w = test::run(cut, "first_finish", {{"k", "3"}, {"max_tokens", "16"}}, l);
        CHECK(!w.answer);
        CHECK(w.n_tokens_total == 3 * 16);
    }
}
