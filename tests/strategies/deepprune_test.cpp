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

TEST_CASE("deepprune lexical judge and the unsupported model judge") {
    test::scripted_decoder dec({test::answer("the same words here", "1"), test::answer("the same words here", "1"),
                                test::answer("totally different text", "2")});
    auto v = test::run(dec, "deepprune", {{"k", "3"}, {"truncate", "19"}, {"judge", "lexical"}, {"tau", "0.9"}});
    int pruned = 0;
    for (auto & t : v.threads) pruned += t.finish_reason == "pruned_redundant";
    CHECK(pruned == 1);
    auto s = strategy::validate_strategy("deepprune", {{"judge", "model"}});
    CHECK(s.message().find("not supported yet") != std::string::npos);
}

TEST_CASE("deepprune: threads finishing before the truncation point keep their own answer") {
    test::scripted_decoder dec({test::answer("", "8"), test::answer("", "8"), trace("9", "9")});
    auto v = test::run(dec, "deepprune", {{"k", "3"}, {"truncate", "25"}});
    CHECK(v.answer == "8");
}
