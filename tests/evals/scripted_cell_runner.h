// scripted_cell_runner: a cell_runner that runs the real strategies (strategies/registry.h)
// through a real controller::session on tests/support/scripted_decoder — no model.
//
// Thread i of (problem, seed) plays a script that depends only on those three values (the
// reproducibility invariant the real engine keeps): a reasoning model's chain of 10-69 tokens,
// "</think>", an answer segment that says the gold answer (about 60%), another number, or
// nothing, and then EOS — or, for about one thread in six, a cut at max_tokens. So the online
// first_finish / short_m_at_k / self_consistency cells of a sweep come from the session's own
// rules (stop rules, finish classes, think ends, votes), independently of evals/replay, and the
// replay of the recorded self_consistency threads must agree with them.
#pragma once

#include <boost/fiber/all.hpp>

#include "evals/sweep.h"
#include "strategies/registry.h"
#include "tests/evals/fake_cell_runner.h"
#include "tests/support/scripted_decoder.h"

namespace tts::eval::testing {

// The script of thread i for a prompt of the toy dataset ("What is n + n?", gold 2n).
inline test::script scripted_thread(const std::string & prompt, uint64_t seed, int32_t i) {
    const size_t at = prompt.find("What is ");
    const int64_t n = at == std::string::npos ? 0 : std::atoll(prompt.c_str() + at + 8);
    const uint64_t h = mix(mix(uint64_t(n) * 1000003 + seed) + uint64_t(i));
    test::script s;
    s.text = std::string(10 + h % 60, 't') + "</think> ";
    const int pick = int((h >> 20) % 10);
    if (pick < 6)
        s.text += "\\boxed{" + std::to_string(2 * n) + "}";
    else if (pick < 9)
        s.text += "\\boxed{" + std::to_string(100 + pick) + "}";
    if ((h >> 30) % 6 == 0) s.end = engine::finish_reason::max_tokens;  // cut on its last token
    return s;
}

inline cell_runner make_scripted_runner() {
    auto dec =
        std::make_shared<test::scripted_decoder>(test::scripted_decoder::picker([](const test::scripted_request & r) {
                                                     return scripted_thread(r.prompt, r.seed, r.thread_index);
                                                 }),
                                                 /*reasoning=*/true);
    return [dec](const cell_request & r) -> result<strategy::verdict> {
        strategy::param_map params;
        for (const strategy_param & p : r.strategy.params) params[p.key] = to_string(p.value);
        controller::session_options so;
        so.params.max_tokens = r.config.sampling.max_tokens;
        so.seed = r.where.seed;
        result<strategy::verdict> out = status::internal("not run");
        boost::fibers::fiber f([&] {
            controller::session s(*dec, so);
            strategy::problem pb;
            pb.text = r.user_prompt;
            out = strategy::run_strategy(r.strategy.strategy, params, s, pb);
        });
        f.join();
        return out;
    };
}

}  // namespace tts::eval::testing
