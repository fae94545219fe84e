#include "strategies/registry.h"

#include "tests/strategies/strategy_test_util.h"

using namespace tts;

namespace {
// Round 1 drafts disagree; prompts that carry a workspace get the right answer.
test::script by_prompt(const test::scripted_request & r) {
    if (r.prompt.find("Write a summary") != std::string::npos) return test::script{.text = "drafts said 41 and 42; 42 checks out"};
    if (r.prompt.find("earlier attempts") != std::string::npos) return test::answer("refined", "42");
    return test::answer("draft", r.thread_index % 2 ? "41" : "42");
}
}  // namespace

TEST_CASE("pdr: drafts, a distilled workspace, a final refinement") {
    for (auto l : test::k_policies) {
        test::scripted_decoder dec{test::scripted_decoder::picker(by_prompt)};
        auto v = test::run(dec, "pdr", {{"rounds", "2"}, {"m", "3"}}, l);
        CHECK(v.answer == "42");
        auto prompts = dec.prompts_for_testing();
        REQUIRE(prompts.size() == 3);   // drafts, summary, refine
        CHECK(prompts[1].find("Write a summary") != std::string::npos);
        CHECK(prompts[2].find("42 checks out") != std::string::npos);
        int drafts = 0;
        for (auto & t : v.threads) drafts += t.role == "draft";
        CHECK(drafts == 3);
        CHECK(v.n_tokens_sequential < v.n_tokens_total);
    }
}

TEST_CASE("pdr: top_k and random_k workspaces carry drafts verbatim") {
    test::scripted_decoder dec{test::scripted_decoder::picker(by_prompt)};
    auto v = test::run(dec, "pdr", {{"rounds", "3"}, {"m", "2"}, {"distill", "top_k"}, {"k", "1"}});
    CHECK(v.answer == "42");
    CHECK(dec.prompts_for_testing().size() == 3);
    test::scripted_decoder dec2{test::scripted_decoder::picker(by_prompt)};
    auto w = test::run(dec2, "pdr", {{"rounds", "2"}, {"m", "3"}, {"distill", "random_k"}, {"k", "2"}});
    CHECK(w.answer == "42");
    CHECK(dec2.prompts_for_testing().size() == 2);   // one request per final-round thread (1)
}

TEST_CASE("sr: one draft per round, each refining the last") {
    test::scripted_decoder dec{test::scripted_decoder::picker(by_prompt)};
    auto v = test::run(dec, "sr", {{"rounds", "3"}});
    CHECK(v.answer == "42");
    CHECK(dec.prompts_for_testing().size() == 3);
    CHECK(v.threads.size() == 3);
}
