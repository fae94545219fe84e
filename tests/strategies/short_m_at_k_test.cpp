#include "strategies/registry.h"

#include "tests/strategies/strategy_test_util.h"

using namespace tts;

TEST_CASE("short_m_at_k: vote among the first m finishers, cancel the rest at once") {
    for (auto l : test::k_policies) {
        test::scripted_decoder dec({test::answer("aaaaaaaaaaaaaaaaaaaa", "9"), test::answer("a", "1"), test::answer("aaa", "2"),
                                    test::answer("aa", "2"), test::answer("aaaaaaaaaaaaaa", "9")});
        auto v = test::run(dec, "short_m_at_k", {{"k", "5"}, {"m", "3"}}, l);
        CHECK(v.answer == "2");
        CHECK(v.votes.n_voters == 3);
        const int64_t cut = v.threads[2].n_tokens;   // the 3rd finisher
        CHECK(v.threads[0].n_tokens == cut);
        CHECK(v.threads[4].n_tokens == cut);
        CHECK(v.threads[0].finish_reason == "stopped_after_m_finished");
    }
}

TEST_CASE("short_m_at_k: a tie goes to the answer with the shortest chain") {
    test::scripted_decoder dec({test::answer("aaaa", "5"), test::answer("a", "6"), test::answer("aaaaaaaaaaaa", "7")});
    auto v = test::run(dec, "short_m_at_k", {{"k", "3"}, {"m", "2"}});
    CHECK(v.answer == "6");
}

TEST_CASE("short_m_at_k: reasoning models finish at </think>, then complete their answers") {
    test::scripted_decoder dec({test::script{.text = "think think think</think> \\boxed{1}"},
                                test::script{.text = "t</think> after a long answer segment \\boxed{2}"},
                                test::script{.text = "tt</think> \\boxed{2}"},
                                test::script{.text = "tttttttttttttttttttttttttt</think> \\boxed{3}"}},
                               /*reasoning=*/true);
    auto v = test::run(dec, "short_m_at_k", {{"k", "4"}, {"m", "2"}});
    CHECK(v.answer == "2");
    CHECK(v.threads[1].finish_reason == "eos");   // continued past </think> to its answer
    CHECK(v.threads[0].finish_reason == "stopped_after_m_finished");
    CHECK(v.threads[0].n_tokens == 3);            // stopped when the 2nd thread closed thinking
}

TEST_CASE("short_m_at_k: fewer than m finishing votes among those that did; bad m is an error") {
    test::scripted_decoder dec({test::answer("a", "4"), test::script{.text = std::string(30, 'z'), .end = engine::finish_reason::max_tokens}});
    auto v = test::run(dec, "short_m_at_k", {{"k", "2"}, {"m", "2"}, {"max_tokens", "10"}});
    CHECK(v.answer == "4");
    CHECK(!strategy::validate_strategy("short_m_at_k", {{"k", "2"}, {"m", "3"}}).is_ok());
}
