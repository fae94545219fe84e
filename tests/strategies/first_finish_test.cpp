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

// Breaking it: counting a max_tokens cut as a finish stops the race at thread 0's 12th token,
// cancels thread 1 before it answers, and leaves no answer (or thread 0's "3").
TEST_CASE("first_finish: a thread truncated at max_tokens does not win the race (unless truncated=vote)") {
    for (auto l : test::k_policies) {
        // Thread 0 is cut at its 12th token (as by max_tokens); thread 1 answers at 16.
        test::scripted_decoder dec({test::script{.text = "\\boxed{3} zz", .end = engine::finish_reason::max_tokens},
                                    test::answer("aaaaa", "5")});
        auto v = test::run(dec, "first_finish", {{"k", "2"}}, l);
        CHECK(v.answer == "5");
        CHECK(v.threads[0].finish_class == "truncated");
        CHECK(v.threads[0].n_tokens == 12);
        CHECK_FALSE(v.threads[0].voted);
        CHECK(v.threads[1].finish_reason == "eos");
        CHECK(v.threads[1].voted);
        auto w = test::run(dec, "first_finish", {{"k", "2"}, {"truncated", "vote"}}, l);
        CHECK(w.answer == "3");
        CHECK(w.threads[1].finish_reason == "stopped_after_m_finished");
        // Nobody answering: no answer.
        test::scripted_decoder cut({test::script{.text = "\\boxed{3} " + std::string(40, 'z')}});
        auto x = test::run(cut, "first_finish", {{"k", "3"}, {"max_tokens", "16"}}, l);
        CHECK(!x.answer);
        CHECK(x.n_tokens_total == 3 * 16);
    }
}
