// Stop conditions on the tiny random llama: stop tokens, stop strings, EOS, max_tokens and the
// model's context length. Each case first runs greedily without the condition, then checks that
// the condition cuts that very stream at the first place it holds (so a broken condition,
// which lets the thread run on or stops it elsewhere, fails).
#include <doctest/doctest.h>

#include "runtime/engine/engine.h"
#include "tests/runtime/engine/tiny_engine_util.h"

using namespace tts;
using namespace tts::testing;
using engine::finish_reason;

namespace {

struct run_result {
    std::vector<int32_t> tokens;
    finish_reason finish = finish_reason::none;
};

run_result greedy(model::decoder & d, engine::generation_params p, std::vector<int32_t> prompt = tiny_prompt()) {
    engine::engine e(d, {});
    recorder r;
    engine::request_spec s;
    s.prompt = std::move(prompt);
    s.params = std::move(p);
    s.sink = r.sink();
    auto ids = e.submit(std::move(s));
    REQUIRE(ids.size() == 1);
    e.run_until_idle();
    return {r.tokens[ids[0]], r.finish[ids[0]]};
}

engine::generation_params free_run(int32_t max_tokens) {
    engine::generation_params p;
    p.max_tokens = max_tokens;
    p.ignore_eos = true;
    return p;
}

}  // namespace

TEST_CASE("a stop token ends the thread at its first occurrence, the token included") {
    const run_result base = greedy(tiny(), free_run(40));
    REQUIRE(base.tokens.size() == 40);
    CHECK(base.finish == finish_reason::max_tokens);
    const int32_t stop = base.tokens[5];
    const size_t first = size_t(std::find(base.tokens.begin(), base.tokens.end(), stop) - base.tokens.begin());
    engine::generation_params p = free_run(40);
    p.stop_tokens = {stop};
    const run_result r = greedy(tiny(), p);
    CHECK(r.finish == finish_reason::stop_token);
    CHECK(r.tokens == std::vector<int32_t>(base.tokens.begin(), base.tokens.begin() + ptrdiff_t(first) + 1));
}

TEST_CASE("a stop string ends the thread on the token that completes it, across token boundaries") {
    const run_result base = greedy(tiny(), free_run(40));
    const model::tokenizer & v = tiny().vocab();
    std::string text;
    std::vector<size_t> end_at;  // text length after each token
    for (int32_t t : base.tokens) {
        text += v.piece(t);
        end_at.push_back(text.size());
    }
    // Two pieces from the middle, so the string spans a token boundary.
    const std::string stop = v.piece(base.tokens[10]) + v.piece(base.tokens[11]);
    const size_t pos = text.find(stop);
    REQUIRE(pos != std::string::npos);
    size_t k = 0;
    while (end_at[k] < pos + stop.size()) ++k;
    engine::generation_params p = free_run(40);
    p.stop_strings = {stop};
    const run_result r = greedy(tiny(), p);
    CHECK(r.finish == finish_reason::stop_string);
    CHECK(r.tokens == std::vector<int32_t>(base.tokens.begin(), base.tokens.begin() + ptrdiff_t(k) + 1));
}

TEST_CASE("EOS ends the thread unless ignore_eos; an end-of-turn token counts as EOS") {
    // Greedy: the stream with ignore_eos, cut at its first end-of-generation token (if any).
    const std::vector<int32_t> & eog = tiny().end_of_generation();
    REQUIRE(eog.size() >= 2);  // <|endoftext|> (EOS) and <|im_end|> (end of turn)
    engine::generation_params p = free_run(200);
    const run_result with_ignore = greedy(tiny(), p);
    p.ignore_eos = false;
    const run_result stopping = greedy(tiny(), p);
    auto first_eog = std::find_first_of(with_ignore.tokens.begin(), with_ignore.tokens.end(), eog.begin(), eog.end());
    if (first_eog == with_ignore.tokens.end()) {
        CHECK(stopping.tokens == with_ignore.tokens);  // never met one: same stream
    } else {
        CHECK(stopping.finish == finish_reason::eos);
        CHECK(stopping.tokens == std::vector<int32_t>(with_ignore.tokens.begin(), first_eog + 1));
    }
    // Sampling at a high temperature meets one within a few hundred tokens: the thread ends
    // on it, and on nothing before.
    engine::engine e(tiny(), {});
    recorder r;
    engine::request_spec s = tiny_spec(r, 8, 400);
    s.params.ignore_eos = false;
    s.params.sampling.temperature = 2.0f;
    auto ids = e.submit(std::move(s));
    e.run_until_idle();
    int n_eos = 0;
    for (auto id : ids) {
        if (r.finish[id] != finish_reason::eos) continue;
        ++n_eos;
        CHECK(tiny().is_end_of_generation(r.tokens[id].back()));
        CHECK(std::count_if(r.tokens[id].begin(), r.tokens[id].end(),
                            [&](int32_t t) { return tiny().is_end_of_generation(t); }) == 1);
    }
    CHECK(n_eos > 0);
}

TEST_CASE("a thread stops with max_tokens when it reaches the model's context length") {
    auto small = make_tiny_decoder({.n_ctx = 32});
    const run_result r = greedy(*small, free_run(100));  // 20-token prompt
    CHECK(r.finish == finish_reason::max_tokens);
    CHECK(r.tokens.size() == 32 - 20);  // prompt + generated == n_ctx
    const run_result few = greedy(*small, free_run(5));
    CHECK(few.tokens.size() == 5);
    CHECK(few.finish == finish_reason::max_tokens);
}
