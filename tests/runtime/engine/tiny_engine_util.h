// Helpers for engine tests on the tiny random llama (tests/support/tiny_model): one shared
// decoder, a recorder that rebuilds each thread's record from its events the way a session
// does, and a request builder. Sinks run on the stepping thread (these tests call step()).
#pragma once

#include <doctest/doctest.h>

#include <map>
#include <memory>
#include <vector>

#include "runtime/engine/engine.h"
#include "tests/support/tiny_model.h"

namespace tts::testing {

inline model::decoder & tiny() {
    static std::unique_ptr<model::decoder> d = make_tiny_decoder();
    return *d;
}

struct recorder {
    std::map<engine::seq_id, std::vector<int32_t>> tokens;  // generated tokens only
    std::map<engine::seq_id, std::vector<int32_t>> record;  // injected + generated, in feed order
    std::map<engine::seq_id, engine::finish_reason> finish;
    std::map<engine::seq_id, int32_t> n_final_events;
    std::vector<engine::seq_id> order;  // seq of every event, in order
    engine::event_sink sink() {
        return [this](const engine::token_event & e) {
            order.push_back(e.seq);
            auto & r = record[e.seq];
            r.insert(r.end(), e.injected.begin(), e.injected.end());
            if (e.token >= 0) {
                tokens[e.seq].push_back(e.token);
                r.push_back(e.token);
            }
            if (e.finish != engine::finish_reason::none) {
                finish[e.seq] = e.finish;
                ++n_final_events[e.seq];
            }
        };
    }
    bool has_ended(engine::seq_id id) const { return finish.count(id) != 0; }
};

inline std::vector<int32_t> tiny_prompt(int32_t n = 20, int32_t first = 3) {
    std::vector<int32_t> p;
    for (int32_t i = 0; i < n; ++i) p.push_back(first + (i * 7) % 70);
    return p;
}

inline engine::request_spec tiny_spec(recorder & r, int32_t n_threads, int32_t max_tokens, uint64_t seed = 42) {
    engine::request_spec s;
    s.prompt = tiny_prompt();
    s.params.sampling.temperature = 1.0f;
    s.params.max_tokens = max_tokens;
    s.params.ignore_eos = true;
    s.n_threads = n_threads;
    s.seed = seed;
    s.sink = r.sink();
    return s;
}

// Steps until idle; then every page is back once the prefix cache is dropped.
inline void drain_and_check_pages(engine::engine & e, int32_t free0) {
    e.run_until_idle();
    CHECK(e.n_sequences_live() == 0);
    e.cache_for_testing().clear_prefix_cache();
    CHECK(e.cache_for_testing().n_blocks_free() == free0);
}

}  // namespace tts::testing
