#include "runtime/engine/engine.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <map>

using namespace tts;
using engine::seq_id;

namespace {

const char * k_model = TTS_SOURCE_DIR "/models/SmolLM2-135M-Instruct.Q4_1.gguf";

model::decoder & dec() {
    static std::unique_ptr<model::decoder> d = [] {
        auto r = model::decoder::load(k_model, 2);
        REQUIRE_MESSAGE(r.is_ok(), (r.is_ok() ? "" : r.error().message()));
        return std::move(r).value();
    }();
    return *d;
}

// Collects every thread's tokens and finish reason (sinks run on the stepping thread).
struct recorder {
    std::map<seq_id, std::vector<int32_t>> tokens;
    std::map<seq_id, engine::finish_reason> finish;
    engine::event_sink sink() {
        return [this](const engine::token_event & e) {
            if (e.token >= 0) tokens[e.seq].push_back(e.token);
            if (e.finish != engine::finish_reason::none) finish[e.seq] = e.finish;
        };
    }
};

std::vector<int32_t> prompt_tokens() {
    return dec().vocab().encode("<|im_start|>user\nWrite a short story about a robot.<|im_end|>\n<|im_start|>assistant\n", true);
}

engine::request_spec spec(recorder & r, int32_t n, int32_t max_tokens, uint64_t seed = 42) {
    engine::request_spec s;
    s.prompt = prompt_tokens();
    s.params.sampling.temperature = 0.9f;
    s.params.sampling.top_p = 0.95f;
    s.params.max_tokens = max_tokens;
    s.params.ignore_eos = true;
    s.n_threads = n;
    s.seed = seed;
    s.sink = r.sink();
    return s;
}

// Tokens of thread i of an n-thread request, run alone in a fresh engine.
std::vector<std::vector<int32_t>> run_request(int32_t n, int32_t max_tokens, engine::engine_options opt = {}) {
    engine::engine e(dec(), opt);
    const int32_t free0 = e.cache_for_testing().n_blocks_free();
    recorder r;
    auto ids = e.submit(spec(r, n, max_tokens));
    e.run_until_idle();
    e.cache_for_testing().clear_prefix_cache();
    CHECK(e.cache_for_testing().n_blocks_free() == free0);   // nothing leaks
    std::vector<std::vector<int32_t>> out;
    for (seq_id id : ids) {
        CHECK(r.finish[id] == engine::finish_reason::max_tokens);
        out.push_back(r.tokens[id]);
    }
    return out;
}

#define REQUIRE_MODEL()                                                  \
    if (!std::filesystem::exists(k_model)) {                             \
        FAIL("default model missing at " << k_model << " (make model)"); \
    }

}  // namespace

TEST_CASE("batch invariance: a thread's tokens do not depend on its siblings") {
    REQUIRE_MODEL();
    auto one = run_request(1, 24);
    auto eight = run_request(8, 24);
    auto many = run_request(32, 24);
    CHECK(one[0] == eight[0]);
    CHECK(one[0] == many[0]);
    for (int i = 0; i < 8; ++i) CHECK(eight[i] == many[i]);
    int n_distinct = 0;
    for (int i = 1; i < 8; ++i) n_distinct += eight[i] != eight[0];
    CHECK(n_distinct >= 6);   // sampled threads really differ
}

TEST_CASE("beside an unrelated request, and from the prefix cache, threads are unchanged") {
    REQUIRE_MODEL();
    auto alone = run_request(4, 16);
    engine::engine e(dec(), {});
    recorder r1, r2, other;
    engine::request_spec unrelated = spec(other, 3, 20, 7);
    unrelated.prompt = dec().vocab().encode("The quick brown fox jumps over the lazy dog. Then", true);
    e.submit(std::move(unrelated));
    auto a = e.submit(spec(r1, 4, 16));
    e.run_until_idle();
    auto b = e.submit(spec(r2, 4, 16));   // same prompt again: served from the prefix cache
    e.run_until_idle();
    CHECK(e.stats().n_prefix_tokens_reused >= 16);
    for (int i = 0; i < 4; ++i) {
        CHECK(r1.tokens[a[i]] == alone[i]);
        CHECK(r2.tokens[b[i]] == alone[i]);
    }
}

TEST_CASE("preemption: 64 threads in a tiny pool all finish with the same tokens, nothing leaks") {
    REQUIRE_MODEL();
    auto roomy = run_request(64, 12);
    engine::engine_options tiny;
    const auto & c = dec().config();
    kv::kv_layout layout{c.n_layers, c.n_kv_heads, c.head_dim, 16};
    tiny.kv_bytes = layout.bytes_for_blocks(40);   // the prompt alone takes 3 pages
    auto squeezed = run_request(64, 12, tiny);
    CHECK(squeezed == roomy);
}

TEST_CASE("fork mid-generation with the parent's RNG state continues exactly like the parent") {
    REQUIRE_MODEL();
    engine::engine e(dec(), {});
    const int32_t free0 = e.cache_for_testing().n_blocks_free();
    recorder r;
    auto ids = e.submit(spec(r, 1, 40));
    for (int i = 0; i < 12; ++i) e.step();   // prefill + a few tokens (block boundary inside)
    const size_t at = r.tokens[ids[0]].size();
    seq_id child = e.fork(ids[0], std::nullopt);
    e.run_until_idle();
    auto parent = r.tokens[ids[0]];
    auto kid = r.tokens[child];
    REQUIRE(parent.size() == 40);
    CHECK(std::vector<int32_t>(parent.begin() + at, parent.end()) == kid);
    e.cache_for_testing().clear_prefix_cache();
    CHECK(e.cache_for_testing().n_blocks_free() == free0);
}

TEST_CASE("cancel frees the thread's private pages in the step that applies it") {
    REQUIRE_MODEL();
    engine::engine e(dec(), {});
    recorder r;
    auto ids = e.submit(spec(r, 4, 200));
    for (int i = 0; i < 40; ++i) e.step();
    const int32_t used = e.cache_for_testing().n_blocks_used();
    e.cancel(ids[1]);
    e.cancel(ids[2]);
    e.step();
    CHECK(r.finish[ids[1]] == engine::finish_reason::cancelled);
    CHECK(e.cache_for_testing().n_blocks_used() < used - 2);
    for (seq_id id : ids) e.cancel(id);
    e.run_until_idle();
    CHECK(e.cache_for_testing().n_blocks_used() == e.cache_for_testing().n_blocks_cached());
}
