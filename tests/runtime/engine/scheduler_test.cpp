// Scheduling on the tiny random llama: the step budget, preemption order, running out of KV.
// Outputs must not depend on how the work was cut into steps, so each case compares against
// the same request run with room to spare.
#include <doctest/doctest.h>

#include "runtime/engine/engine.h"
#include "tests/runtime/engine/tiny_engine_util.h"

using namespace tts;
using namespace tts::testing;
using engine::finish_reason;
using engine::seq_id;

namespace {

kv::kv_layout tiny_layout(int32_t block_size = 16) {
    const auto & c = tiny().config();
    return kv::kv_layout{c.n_layers, c.n_kv_heads, c.head_dim, block_size};
}

std::map<seq_id, std::vector<int32_t>> roomy(engine::request_spec s) {
    engine::engine e(tiny(), {});
    recorder r;
    s.sink = r.sink();
    auto ids = e.submit(std::move(s));
    e.run_until_idle();
    std::map<seq_id, std::vector<int32_t>> out;
    for (size_t i = 0; i < ids.size(); ++i) out[seq_id(i)] = r.tokens[ids[i]];
    return out;
}

}  // namespace

TEST_CASE("max_step_tokens cuts a prefill into chunks; the tokens do not change") {
    engine::engine_options opt;
    opt.max_step_tokens = 16;
    engine::engine e(tiny(), opt);
    recorder r;
    engine::request_spec s = tiny_spec(r, 2, 5);
    s.prompt = tiny_prompt(50);
    auto ids = e.submit(s);
    for (int i = 0; i < 4; ++i) {  // the root prefills 49 tokens: 16 + 16 + 16 + 1
        CHECK(e.step());
        CHECK(r.tokens.empty());
    }
    e.step();
    CHECK(r.tokens[ids[0]].size() == 1);  // the threads' first step feeds the prompt's last token
    e.run_until_idle();
    CHECK(e.stats().n_tokens_prefilled == 49);
    auto ref = roomy(s);
    CHECK(r.tokens[ids[0]] == ref[0]);
    CHECK(r.tokens[ids[1]] == ref[1]);
}

TEST_CASE("decode tokens beyond max_step_tokens wait for the next step, oldest thread first") {
    engine::engine_options opt;
    opt.max_step_tokens = 3;
    engine::engine e(tiny(), opt);
    recorder r;
    engine::request_spec s = tiny_spec(r, 7, 6);
    auto ids = e.submit(s);
    while (r.tokens[ids[0]].empty()) e.step();
    // 7 threads, 3 decode rows per step: ids 0..2 went first, the rest wait.
    CHECK(r.tokens[ids[2]].size() == 1);
    CHECK(r.tokens[ids[3]].empty());
    e.run_until_idle();
    CHECK(e.stats().n_tokens_decoded == 42);
    CHECK(e.stats().n_steps >= 14 + 1);  // 42 rows at 3 per step, after one prefill step
    auto ref = roomy(s);
    for (size_t i = 0; i < ids.size(); ++i) CHECK(r.tokens[ids[i]] == ref[seq_id(i)]);
}

TEST_CASE("out of pages, the lowest priority goes first, then the newest; outputs are unchanged") {
    // Three one-thread requests with different prompts share a pool too small for all of them.
    engine::engine_options opt;
    opt.block_size = 4;
    opt.use_prefix_cache = false;
    opt.kv_bytes = tiny_layout(4).bytes_for_blocks(14);
    engine::engine e(tiny(), opt);
    const int32_t free0 = e.cache_for_testing().n_blocks_free();
    recorder r;
    std::vector<engine::request_spec> specs;
    for (int i = 0; i < 3; ++i) {
        engine::request_spec s = tiny_spec(r, 1, 16, uint64_t(10 + i));
        s.prompt = tiny_prompt(8, 3 + i);
        s.params.priority = i == 0 ? 1 : 0;  // A (oldest) is protected; B is older than C
        specs.push_back(s);
    }
    std::vector<seq_id> ids;
    for (auto & s : specs) ids.push_back(e.submit(s)[0]);
    std::vector<seq_id> first, ever;  // preempted in the first step that preempted; ever
    while (e.step()) {
        std::vector<seq_id> now;
        for (seq_id id : ids)
            if (const engine::sequence * s = e.find_for_testing(id); s && s->n_preemptions > 0) now.push_back(id);
        if (first.empty()) first = now;
        for (seq_id id : now)
            if (std::find(ever.begin(), ever.end(), id) == ever.end()) ever.push_back(id);
    }
    REQUIRE(!first.empty());
    CHECK(std::find(first.begin(), first.end(), ids[2]) != first.end());  // C: low priority, newest
    CHECK(std::find(first.begin(), first.end(), ids[1]) == first.end());  // B only after C
    CHECK(std::find(ever.begin(), ever.end(), ids[0]) == ever.end());     // A: never
    for (int i = 0; i < 3; ++i) {
        CHECK(r.finish[ids[size_t(i)]] == finish_reason::max_tokens);
        CHECK(r.tokens[ids[size_t(i)]] == roomy(specs[size_t(i)])[0]);
    }
    e.cache_for_testing().clear_prefix_cache();
    CHECK(e.cache_for_testing().n_blocks_free() == free0);
}

TEST_CASE("a thread that cannot fit even alone ends with kv_exhausted and frees its pages") {
    engine::engine_options opt;
    opt.block_size = 4;
    opt.kv_bytes = tiny_layout(4).bytes_for_blocks(8);  // 32 positions
    engine::engine e(tiny(), opt);
    const int32_t free0 = e.cache_for_testing().n_blocks_free();
    recorder r;
    auto ids = e.submit(tiny_spec(r, 1, 100));  // 20-token prompt + 100 tokens
    e.run_until_idle();
    CHECK(r.finish[ids[0]] == finish_reason::kv_exhausted);
    CHECK(r.n_final_events[ids[0]] == 1);
    CHECK(r.tokens[ids[0]].size() == 32 - 20 + 1);  // every position used, then one more sampled
    e.cache_for_testing().clear_prefix_cache();
    CHECK(e.cache_for_testing().n_blocks_free() == free0);

    // A prompt larger than the pool: its threads hear kv_exhausted without a token.
    auto big = tiny_spec(r, 2, 4);
    big.prompt = tiny_prompt(40);
    auto bids = e.submit(big);
    e.run_until_idle();
    for (seq_id id : bids) {
        CHECK(r.finish[id] == finish_reason::kv_exhausted);
        CHECK(r.tokens[id].empty());
    }
    e.cache_for_testing().clear_prefix_cache();
    CHECK(e.cache_for_testing().n_blocks_free() == free0);
}

TEST_CASE("a repeated prompt is served from the prefix cache, up to its last full page") {
    // 17 tokens: the root computes p[0..16), exactly one page, which a second request reuses
    // whole (its root then has nothing to compute); outputs are unchanged.
    for (int32_t n : {17, 40}) {
        engine::engine e(tiny(), {});
        recorder r;
        engine::request_spec s = tiny_spec(r, 2, 6);
        s.prompt = tiny_prompt(n);
        auto a = e.submit(s);
        e.run_until_idle();
        auto b = e.submit(s);
        e.run_until_idle();
        const int32_t reused = (n - 1) / 16 * 16;
        CHECK(e.stats().n_prefix_tokens_reused == reused);
        CHECK(e.stats().n_tokens_prefilled == 2 * (n - 1) - reused);  // n = 17: the second root computed nothing
        for (int i = 0; i < 2; ++i) CHECK(r.tokens[b[size_t(i)]] == r.tokens[a[size_t(i)]]);
    }
}
