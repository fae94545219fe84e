#include "strategies/registry.h"

#include "tests/strategies/strategy_test_util.h"

using namespace tts;

namespace {
test::script trace(const std::string & ans, const std::string & probe) {
    test::script s = test::answer("reasoning reasoning reasoning", ans);
    s.probe = probe + "}";
    return s;
}
}  // namespace

TEST_CASE("deepprune probe judge: same probed answer -> pruned; representatives vote by cluster size") {
    for (auto l : test::k_policies) {
        test::scripted_decoder dec({trace("42", "42"), trace("42", "42"), trace("7", "7"), trace("42", "42"), trace("7", "7")});
        auto v = test::run(dec, "deepprune", {{"k", "5"}, {"truncate", "5"}}, l);
        CHECK(v.answer == "42");
        int pruned = 0, probes = 0;
        for (auto & t : v.threads) {
            pruned += t.finish_reason == "pruned_redundant";
            probes += t.role == "probe";
            if (t.finish_reason == "pruned_redundant") CHECK(t.n_tokens == 5);   // stopped exactly at the point
        }
        CHECK(pruned == 3);
        CHECK(probes == 5);
        REQUIRE(v.votes.has_winner());
        CHECK(v.votes.winner().total_weight == 3.0);
    }
}

TEST_CASE("deepprune: one cluster for everything keeps a few members; all singletons keep all") {
    test::scripted_decoder same({trace("1", "1")});
    auto v = test::run(same, "deepprune", {{"k", "4"}, {"truncate", "3"}, {"degenerate_keep", "2"}});
    CHECK(v.answer == "1");
    CHECK(v.votes.n_voters == 2);
    test::scripted_decoder diff({trace("1", "1"), trace("2", "2"), trace("3", "3")});
    auto w = test::run(diff, "deepprune", {{"k", "3"}, {"truncate", "3"}});
    CHECK(w.votes.n_voters == 3);
}

TEST_CASE("deepprune lexical judge") {
    test::scripted_decoder dec({test::answer("the same words here", "1"), test::answer("the same words here", "1"),
                                test::answer("totally different text", "2")});
    auto v = test::run(dec, "deepprune", {{"k", "3"}, {"truncate", "19"}, {"judge", "lexical"}, {"tau", "0.9"}});
    int pruned = 0;
    for (auto & t : v.threads) pruned += t.finish_reason == "pruned_redundant";
    CHECK(pruned == 1);
    CHECK(strategy::validate_strategy("deepprune", {{"judge", "model"}}).is_ok());
    auto s = strategy::validate_strategy("deepprune", {{"judge_model", "x.gguf"}});
    CHECK(s.message().find("only used with judge=model") != std::string::npos);
}

namespace {
// The text after `label` up to the next blank line.
std::string section(const std::string & prompt, const std::string & label) {
    const size_t at = prompt.find(label);
    if (at == std::string::npos) return "";
    const size_t from = at + label.size();
    return prompt.substr(from, prompt.find("\n\n", from) - from);
}
}  // namespace

TEST_CASE("deepprune model judge: the judge's yes joins a cluster, its no opens one") {
    // Traces start with their answer; the scripted judge says Yes when both starts agree.
    const std::vector<std::string> answers{"11", "11", "22", "11", "22", "33"};
    auto pick = [&](const test::scripted_request & r) {
        if (r.prompt.find("Student A so far:") != std::string::npos) {
            const std::string a = section(r.prompt, "Student A so far:\n"), b = section(r.prompt, "Student B so far:\n");
            return test::script{.text = a.substr(0, 2) == b.substr(0, 2) ? "Yes" : "No."};
        }
        const std::string & ans = answers[size_t(r.thread_index) % answers.size()];
        return test::answer(ans + " is what I get after some long reasoning", ans);
    };
    for (auto l : test::k_policies) {
        test::scripted_decoder dec(pick);
        auto v = test::run(dec, "deepprune", {{"k", "6"}, {"truncate", "4"}, {"judge", "model"}}, l);
        int pruned = 0, judges = 0;
        for (auto & t : v.threads) {
            pruned += t.finish_reason == "pruned_redundant";
            judges += t.role == "judge";
        }
        CHECK(pruned == 3);                        // one representative each for 11, 22, 33
        CHECK(judges == 0 + 1 + 1 + 2 + 2 + 2);    // one prompt per (trace, existing cluster)
        CHECK(v.answer == "11");
        REQUIRE(v.votes.has_winner());
        CHECK(v.votes.winner().total_weight == 3.0);
        CHECK(v.n_tokens_total == test::sum_tokens(v));
    }
}

TEST_CASE("deepprune model judge: a judge model that cannot be loaded is a clear error") {
    test::scripted_decoder dec({trace("1", "1")});
    auto v = test::run(dec, "deepprune", {{"k", "2"}, {"truncate", "3"}, {"judge", "model"}, {"judge_model", "/nonexistent/judge.gguf"}});
    CHECK(v.status.find("/nonexistent/judge.gguf") != std::string::npos);
    CHECK(!v.answer);
    CHECK(dec.n_live_for_testing() == 0);
}

TEST_CASE("deepprune: threads finishing before the truncation point keep their own answer") {
    test::scripted_decoder dec({test::answer("", "8"), test::answer("", "8"), trace("9", "9")});
    auto v = test::run(dec, "deepprune", {{"k", "3"}, {"truncate", "25"}});
    CHECK(v.answer == "8");
}
