#include "strategies/registry.h"

#include "tests/strategies/strategy_test_util.h"

using namespace tts;

TEST_CASE("registry: every strategy is listed and validates its defaults") {
    auto names = strategy::strategy_names();
    for (const char * n : {"single", "self_consistency", "first_finish", "short_m_at_k", "deepconf", "deepprune", "pdr", "sr", "best_of_n"})
        CHECK(std::find(names.begin(), names.end(), n) != names.end());
    for (auto & n : names) CHECK(strategy::validate_strategy(n, {}).is_ok());
}

TEST_CASE("registry: unknown names and parameters are errors naming them") {
    auto s = strategy::validate_strategy("nope", {});
    CHECK(s.code() == status_code::not_found);
    CHECK(s.message().find("\"nope\"") != std::string::npos);
    s = strategy::validate_strategy("short_m_at_k", {{"mm", "3"}});
    CHECK(s.message().find("short_m_at_k: unknown parameter \"mm\"") != std::string::npos);
    s = strategy::validate_strategy("short_m_at_k", {{"m", "three"}});
    CHECK(s.message().find("short_m_at_k.m: expected an integer") != std::string::npos);
    CHECK(s.message().find("\"three\"") != std::string::npos);
}

TEST_CASE("params: session keys are taken out of the map and checked") {
    strategy::param_map m{{"k", "4"}, {"temperature", "0.7"}, {"max_total_tokens", "100"}, {"seed", "3"}};
    controller::session_options so;
    REQUIRE(strategy::take_session_params(m, so).is_ok());
    CHECK(m.size() == 1);
    CHECK(so.params.sampling.temperature == doctest::Approx(0.7));
    CHECK(so.limits.max_total_tokens == 100);
    CHECK(so.seed == 3);
    strategy::param_map bad{{"top_p", "2"}};
    CHECK(strategy::take_session_params(bad, so).message().find("session.top_p") != std::string::npos);
}

// Breaking it: without the budget checks these configs run and silently do something else
// (fewer threads than k, no pruning ever, one warm-up voter).
TEST_CASE("registry: parameters that cannot take effect under the budgets are errors naming the key") {
    const strategy::strategy_limits l{.max_tokens = 64, .max_live_threads = 4};
    auto s = strategy::validate_strategy("short_m_at_k", {{"k", "8"}, {"m", "3"}}, l);
    CHECK(s.message().find("short_m_at_k.k: 8 threads cannot run at once under max_live_threads = 4") !=
          std::string::npos);
    s = strategy::validate_strategy("deepprune", {{"k", "4"}, {"truncate", "64"}}, l);
    CHECK(s.message().find("deepprune.truncate") != std::string::npos);
    CHECK(strategy::validate_strategy("deepprune", {{"k", "4"}, {"truncate", "32"}}, l).is_ok());
    CHECK(strategy::validate_strategy("sr", {{"rounds", "1"}}, l).message().find("sr.rounds") != std::string::npos);
    CHECK(strategy::validate_strategy("first_finish", {{"k", "4"}}, l).is_ok());
    s = strategy::validate_strategy("single", {{"truncated", "maybe"}});
    CHECK(s.message().find("single.truncated: expected one of ignore, vote") != std::string::npos);
    for (auto & n : strategy::strategy_names()) CHECK(strategy::validate_strategy(n, {{"truncated", "vote"}}).is_ok());
}
