#include "strategies/registry.h"

#include "tests/strategies/strategy_test_util.h"

using namespace tts;

namespace {

size_t count(const std::string & s, const std::string & what) {
    size_t n = 0;
    for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
    return n;
}

// Round 1 drafts disagree; prompts that carry a workspace get the right answer.
test::script by_prompt(const test::scripted_request & r) {
    if (r.prompt.find("Write a summary") != std::string::npos) return test::script{.text = "drafts said 41 and 42; 42 checks out"};
    if (r.prompt.find("earlier attempts") != std::string::npos) return test::answer("refined", "42");
    return test::answer("draft", r.thread_index % 2 ? "41" : "42");
}

// Round 1: draft i says 40+i, draft 1 is the most likely. A refinement answers 42 only when its
// workspace is exactly draft 1's text (the top-1 draft, carried verbatim), else 0.
test::script by_workspace(const test::scripted_request & r) {
    if (r.prompt.find("earlier attempts") != std::string::npos) {
        const bool only_best = r.prompt.find("Attempt 1:\ndraft-1 says \\boxed{41}\n") != std::string::npos &&
                               r.prompt.find("draft-0") == std::string::npos &&
                               r.prompt.find("draft-2") == std::string::npos;
        return test::answer("refined", only_best ? "42" : "0");
    }
    test::script s{.text = "draft-" + std::to_string(r.thread_index) + " says \\boxed{" +
                           std::to_string(40 + r.thread_index) + "}"};
    s.logprob = r.thread_index == 1 ? -0.1f : -1.0f;
    return s;
}

}  // namespace

// Breaking it: dropping the system message or the answer format in later rounds fails the
// prompt checks; not counting re-read prompts leaves n_tokens_prompt at the first prompt.
TEST_CASE("pdr: drafts, a distilled workspace, a refinement rendered like round 1") {
    for (auto l : test::k_policies) {
        test::scripted_decoder dec{test::scripted_decoder::picker(by_prompt)};
        const strategy::problem pb =
            test::question("What is 6*7?\n\nEnd with: The answer is N.", "Be careful.", "End with: The answer is N.");
        auto v = test::run(dec, "pdr", {{"rounds", "2"}, {"m", "3"}}, l, {}, pb);
        CHECK(v.answer == "42");
        auto prompts = dec.prompts_for_testing();
        REQUIRE(prompts.size() == 3);   // drafts, summary, refine
        for (const std::string & p : prompts) CHECK(p.rfind("<system>Be careful.</system>\n", 0) == 0);
        CHECK(prompts[1].find("Write a summary") != std::string::npos);
        CHECK(prompts[2].find("42 checks out") != std::string::npos);
        CHECK(prompts[2].ends_with("Now write a complete improved solution. End with: The answer is N."));
        int drafts = 0;
        for (auto & t : v.threads) drafts += t.role == "draft";
        CHECK(drafts == 3);
        CHECK(v.n_tokens_sequential < v.n_tokens_total);
        // Every prompt is prefilled once (one token per byte here); the summariser's call is a helper call.
        int64_t prompt_tokens = 0;
        for (const std::string & p : prompts) prompt_tokens += int64_t(p.size());
        CHECK(v.n_tokens_prompt == prompt_tokens);
        CHECK(v.n_tokens_judge == int64_t(prompts[1].size()) + v.threads[3].n_tokens);
        CHECK(v.threads[3].role == "summary");
    }
}

// Breaking it: a refinement that ignores its workspace, or a workspace holding the wrong or
// more drafts, answers 0.
TEST_CASE("pdr top_k: the workspace is the most likely draft's text, verbatim") {
    test::scripted_decoder dec{test::scripted_decoder::picker(by_workspace)};
    auto v = test::run(dec, "pdr", {{"rounds", "2"}, {"m", "3"}, {"distill", "top_k"}, {"k", "1"}});
    CHECK(v.answer == "42");
    CHECK(dec.prompts_for_testing().size() == 2);
}

// Breaking it: std::shuffle-style draws (library-dependent) or a workspace of another size fail
// the count and repeat checks.
TEST_CASE("pdr random_k: each next-round thread gets its own k drafts, the same ones on a rerun") {
    auto prompts_of = [] {
        test::scripted_decoder dec{test::scripted_decoder::picker(by_workspace)};
        test::run(dec, "pdr", {{"rounds", "3"}, {"m", "3"}, {"distill", "random_k"}, {"k", "2"}});
        return dec.prompts_for_testing();
    };
    const auto prompts = prompts_of();
    REQUIRE(prompts.size() == 1 + 3 + 1);  // round 1, one request per round-2 thread, the final refinement
    for (size_t i = 1; i < prompts.size(); ++i) {
        CHECK(count(prompts[i], "Attempt ") == 2);
        CHECK(count(prompts[i], "Attempt 3") == 0);
    }
    CHECK(prompts_of() == prompts);
    CHECK(strategy::validate_strategy("pdr", {{"m", "2"}, {"distill", "random_k"}, {"k", "3"}})
              .message()
              .find("pdr.k: a workspace of 3 drafts cannot be filled from m = 2") != std::string::npos);
    CHECK(strategy::validate_strategy("pdr", {{"rounds", "1"}}).message().find("pdr.rounds") != std::string::npos);
}

// Breaking it: letting the budget-cut refinement vote answers 99 from its unfinished text.
TEST_CASE("pdr: a final draft cut by a budget does not vote; the previous round's majority answers") {
    auto pick = [](const test::scripted_request & r) {
        if (r.prompt.find("earlier attempts") != std::string::npos)
            return test::script{.text = "\\boxed{99} " + std::string(200, 'x')};
        return test::answer("d", "41");
    };
    test::scripted_decoder dec{test::scripted_decoder::picker(pick)};
    auto v = test::run(dec, "pdr",
                       {{"rounds", "2"}, {"m", "2"}, {"distill", "top_k"}, {"k", "1"}, {"max_total_tokens", "60"}});
    CHECK(v.answer == "41");
    CHECK(v.threads.back().role == "refine");
    CHECK(v.threads.back().finish_class == "truncated");
    CHECK_FALSE(v.threads.back().voted);
    test::scripted_decoder dec2{test::scripted_decoder::picker(pick)};
    CHECK(test::run(dec2, "pdr",
                    {{"rounds", "2"},
                     {"m", "2"},
                     {"distill", "top_k"},
                     {"k", "1"},
                     {"max_total_tokens", "60"},
                     {"truncated", "vote"}})
              .answer == "99");
}

TEST_CASE("sr: one draft per round, each refining the last") {
    test::scripted_decoder dec{test::scripted_decoder::picker(by_prompt)};
    auto v = test::run(dec, "sr", {{"rounds", "3"}});
    CHECK(v.answer == "42");
    auto prompts = dec.prompts_for_testing();
    REQUIRE(prompts.size() == 3);
    CHECK(prompts[1].find("draft \\boxed{42}") != std::string::npos);    // round 1's solution carried over
    CHECK(prompts[2].find("refined \\boxed{42}") != std::string::npos);  // round 2's
    CHECK(v.threads.size() == 3);
}
