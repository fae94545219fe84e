// Shared by the strategy tests: run a registered strategy on a scripted decoder under a launch policy.
#pragma once

#include <doctest/doctest.h>

#include "strategies/registry.h"
#include "tests/support/scripted_decoder.h"

namespace tts::test {

inline const boost::fibers::launch k_policies[] = {boost::fibers::launch::post, boost::fibers::launch::dispatch};

inline script answer(const std::string & reasoning, const std::string & ans, float lp = -0.5f) {
    return script{.text = reasoning + " \\boxed{" + ans + "}", .logprob = lp};
}

inline strategy::problem question(std::string text, std::string system = "", std::string answer_format = "") {
    strategy::problem p;
    p.text = std::move(text);
    p.system = std::move(system);
    p.answer_format = std::move(answer_format);
    return p;
}

// Runs `name` on problem `pb` in a fiber launched with policy l; session defaults: max_tokens
// 1000, seed 7.
inline strategy::verdict run(scripted_decoder & dec, const std::string & name, strategy::param_map params,
                             boost::fibers::launch l = boost::fibers::launch::post, controller::budget limits = {},
                             strategy::problem pb = question("What is 6*7?")) {
    controller::session_options so;
    so.params.max_tokens = 1000;
    so.seed = 7;
    so.launch = l;
    so.limits = limits;
    REQUIRE(strategy::take_session_params(params, so).is_ok());
    strategy::verdict v;
    boost::fibers::fiber f(l, [&] {
        controller::session s(dec, so);
        auto r = strategy::run_strategy(name, params, s, pb);
        REQUIRE_MESSAGE(r.is_ok(), (r.is_ok() ? "" : r.error().message()));
        v = r.value();
    });
    f.join();
    return v;
}

inline int64_t sum_tokens(const strategy::verdict & v) {
    int64_t n = 0;
    for (auto & t : v.threads) n += t.n_tokens;
    return n;
}

}  // namespace tts::test
