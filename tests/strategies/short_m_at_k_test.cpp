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

// Breaking it: counting the truncated threads as finishers fills the third slot with a
// truncated "7" (both cut at 16 tokens, before thread 3's EOS on the same step), so "7" wins 2:1.
TEST_CASE("short_m_at_k: truncated threads neither fill the m slots nor vote (unless truncated=vote)") {
    for (auto l : test::k_policies) {
        // Threads 1 and 2 write an answer-like number early and are cut at max_tokens (16);
        // thread 0 answers at 11 tokens, thread 3 at 16 (its EOS is its 16th token).
        test::scripted_decoder dec({test::answer("", "4"), test::script{.text = "\\boxed{7} zzzzzzzzzzzzzzzz"},
                                    test::script{.text = "\\boxed{7} yyyyyyyyyyyyyyyyyy"}, test::answer("bbbbb", "4")});
        auto v = test::run(dec, "short_m_at_k", {{"k", "4"}, {"m", "3"}, {"max_tokens", "16"}}, l);
        CHECK(v.answer == "4");
        CHECK(v.votes.n_voters == 2);
        CHECK(v.threads[1].finish_class == "truncated");
        CHECK_FALSE(v.threads[1].voted);
        CHECK(v.threads[3].finish_reason == "eos");
        CHECK(v.threads[3].voted);
        // With truncated=vote the truncated threads count (on step 16, before thread 3) and vote
        // with their unfinished text.
        auto w =
            test::run(dec, "short_m_at_k", {{"k", "4"}, {"m", "3"}, {"max_tokens", "16"}, {"truncated", "vote"}}, l);
        CHECK(w.answer == "7");
        CHECK(w.threads[1].voted);
        CHECK_FALSE(w.threads[3].voted);
    }
}

// Breaking it: a truncated thread counted as a finisher adds a third voter ("9").
TEST_CASE("short_m_at_k: fewer than m answering votes among those that did; bad m is an error") {
    test::scripted_decoder dec({test::answer("a", "4"), test::script{.text = "\\boxed{9}" + std::string(30, 'z')}});
    auto v = test::run(dec, "short_m_at_k", {{"k", "2"}, {"m", "2"}, {"max_tokens", "16"}});
    CHECK(v.answer == "4");
    CHECK(v.votes.n_voters == 1);
    CHECK(v.threads[1].finish_class == "truncated");
    CHECK(!strategy::validate_strategy("short_m_at_k", {{"k", "2"}, {"m", "3"}}).is_ok());
}

// Breaking it: counting a thread truncated inside its thinking gives a third voter ("5").
TEST_CASE("short_m_at_k think: only an end of thinking or an answer counts, not a truncation inside thinking") {
    test::scripted_decoder dec(
        {test::script{.text = "tt \\boxed{5} " + std::string(30, 't')},  // cut at 20, still thinking
         test::script{.text = "ttttt</think> \\boxed{2}"},               // thinks 6 tokens, answers at 17
         test::script{.text = "tttttt</think> \\boxed{2}"}},             // thinks 7, answers at 18
        /*reasoning=*/true);
    auto v = test::run(dec, "short_m_at_k", {{"k", "3"}, {"m", "3"}, {"max_tokens", "20"}});
    CHECK(v.answer == "2");
    CHECK(v.votes.n_voters == 2);
    CHECK(v.threads[0].finish_class == "truncated");
    CHECK(v.threads[0].think_end_at == -1);
    CHECK_FALSE(v.threads[0].voted);
    CHECK(v.threads[1].think_end_at == 6);
    CHECK(v.n_tokens_thinking == 20 + 6 + 7);
}
