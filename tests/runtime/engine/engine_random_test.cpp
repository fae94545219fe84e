// Randomized command sequences on the tiny random llama. Each sequence (seeded, reproducible)
// is a fresh engine with a random pool size, step budget, block size and prefix-cache setting,
// driven for a few dozen steps by random submit / fork / cancel / pause / resume / inject
// commands aimed at waiting, running, paused, ended, root and unknown ids, then drained.
// After each sequence:
//   - nothing aborted, the engine is healthy and holds no sequence;
//   - every page is free again once the prefix cache is dropped;
//   - every thread id got exactly one final event (a fork of a source gone by the time it
//     applied: that event alone, or nothing when the source ended two or more steps before),
//     and token events arrived in ascending id within each step;
//   - recorded tokens = fed tokens: for every thread, base + the record rebuilt from its events
//     (injected, then the token) equals what the engine fed it (tokens + pending, seen by the
//     finish observer), where base is the prompt, or for a fork its source's base + record up
//     to the fork call.
// TTS_RANDOM_SEQUENCES overrides the number of sequences (default 4000).
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <set>

#include "runtime/engine/engine.h"
#include "tests/runtime/engine/tiny_engine_util.h"

using namespace tts;
using namespace tts::testing;
using engine::seq_id;

namespace {

struct thread_log {
    std::vector<int32_t> base;    // what precedes its own record
    std::vector<int32_t> record;  // injected + generated, from its events
    int32_t n_final = 0;
    engine::finish_reason finish = engine::finish_reason::none;
    int64_t end_step = -1;  // the step whose events ended it
    bool is_fork = false;
    seq_id src = -1;
    int64_t apply_step = -1;  // forks: the step that applied the fork command
};

struct harness {
    std::mt19937_64 rng;
    engine::engine e;
    std::map<seq_id, thread_log> threads;
    std::map<seq_id, std::vector<int32_t>> fed;  // from the finish observer
    std::vector<seq_id> ids;                     // every id handed out, plus roots and strays
    std::vector<seq_id> step_events;             // token-bearing events of the current step
    bool is_step_ordered = true;
    int64_t n_commands = 0;
    int64_t cur_step = 0;

    harness(uint64_t seed, const engine::engine_options & o) : rng(seed), e(tiny(), o) {
        e.set_finish_observer_for_testing([this](const engine::sequence & s) {
            if (s.is_root) return;
            std::vector<int32_t> all = s.tokens;
            all.push_back(s.pending);
            fed[s.id] = std::move(all);
        });
    }

    int32_t uniform(int32_t lo, int32_t hi) { return std::uniform_int_distribution<int32_t>(lo, hi)(rng); }
    bool chance(double p) { return std::bernoulli_distribution(p)(rng); }

    engine::event_sink sink() {
        return [this](const engine::token_event & ev) {
            thread_log & t = threads[ev.seq];
            t.record.insert(t.record.end(), ev.injected.begin(), ev.injected.end());
            if (ev.token >= 0) {
                t.record.push_back(ev.token);
                if (!step_events.empty() && step_events.back() >= ev.seq) is_step_ordered = false;
                step_events.push_back(ev.seq);
            }
            if (ev.finish != engine::finish_reason::none) {
                ++t.n_final;
                t.finish = ev.finish;
                t.end_step = cur_step;
            }
        };
    }

    engine::generation_params random_params() {
        engine::generation_params p;
        p.max_tokens = uniform(1, 24);
        p.sampling.temperature = chance(0.3) ? 0.0f : 1.0f;
        p.sampling.top_k = chance(0.3) ? uniform(1, 10) : 0;
        p.sampling.top_p = chance(0.3) ? 0.9f : 1.0f;
        p.sampling.n_top_logprobs = chance(0.2) ? uniform(1, 5) : 0;
        p.ignore_eos = chance(0.5);
        p.priority = uniform(0, 2);
        if (chance(0.2)) p.stop_tokens = {uniform(3, 80)};
        if (chance(0.1)) p.stop_strings = {"e"};
        return p;
    }

    seq_id pick() {
        if (ids.empty() || chance(0.05)) return seq_id(uniform(0, 500));  // stray or root ids
        return ids[size_t(uniform(0, int32_t(ids.size()) - 1))];
    }

    void submit() {
        engine::request_spec s;
        const int32_t n = uniform(1, 40);
        s.prompt = tiny_prompt(n, uniform(0, 10));
        if (chance(0.5)) s.prompt = tiny_prompt(uniform(1, 40), 3);  // shared prefixes
        s.params = random_params();
        s.n_threads = uniform(1, 4);
        s.seed = rng();
        s.sink = sink();
        const std::vector<int32_t> prompt = s.prompt;
        for (seq_id id : e.submit(std::move(s))) {
            threads[id].base = prompt;
            ids.push_back(id);
        }
    }

    void fork() {
        const seq_id src = pick();
        std::optional<uint64_t> seed;
        if (chance(0.5)) seed = rng();
        std::optional<engine::generation_params> p;
        if (chance(0.3)) p = random_params();
        const seq_id f = e.fork(src, seed, p);
        REQUIRE(f >= 0);
        thread_log & t = threads[f];
        t.is_fork = true;
        t.src = src;
        t.apply_step = cur_step + 1;
        if (auto it = threads.find(src); it != threads.end()) {
            t.base = it->second.base;
            t.base.insert(t.base.end(), it->second.record.begin(), it->second.record.end());
        }
        ids.push_back(f);
    }

    void random_command() {
        ++n_commands;
        const int32_t k = uniform(0, 9);
        if (k == 0)
            submit();
        else if (k <= 2)
            fork();
        else if (k == 3)
            e.cancel(pick());
        else if (k <= 5)
            e.pause(pick());
        else if (k <= 7)
            e.resume(pick());
        else {
            std::vector<int32_t> tok;
            for (int32_t i = uniform(1, 3); i > 0; --i) tok.push_back(uniform(0, 80));
            CHECK(e.inject(pick(), tok).is_ok());
        }
    }

    bool step() {
        ++cur_step;
        step_events.clear();
        return e.step();
    }

    // A fork may be dropped only when its source was gone when the fork applied: unknown, a
    // dropped fork itself, ended in an earlier step, or cancelled by a command before it in the
    // same batch.
    bool may_drop(seq_id id, const thread_log & f) const {
        auto it = threads.find(f.src);
        if (it == threads.end() || f.src > id) return true;  // not handed out (yet) at the call
        const thread_log & s = it->second;
        if (s.is_fork && s.n_final == 0) return true;
        return s.end_step >= 0 && (s.end_step < f.apply_step ||
                                   (s.end_step == f.apply_step && s.finish == engine::finish_reason::cancelled));
    }
    // ... and without any event only when the source ended two or more steps before.
    bool may_be_silent(seq_id id, const thread_log & f) const {
        auto it = threads.find(f.src);
        if (it == threads.end() || f.src > id || it->second.n_final == 0) return true;
        return it->second.end_step < f.apply_step - 1;
    }
};

void run_sequence(uint64_t seed, int64_t & n_commands, int64_t & n_steps) {
    std::mt19937_64 cfg(seed * 7919 + 1);
    engine::engine_options o;
    const int32_t block_sizes[] = {4, 8, 16};
    o.block_size = block_sizes[cfg() % 3];
    const auto & c = tiny().config();
    kv::kv_layout layout{c.n_layers, c.n_kv_heads, c.head_dim, o.block_size};
    o.kv_bytes = layout.bytes_for_blocks(int32_t(4 + cfg() % 60));
    o.max_step_tokens = int32_t(1 + cfg() % 64);
    o.use_prefix_cache = cfg() % 2 == 0;
    harness h(seed, o);
    const int32_t free0 = h.e.cache_for_testing().n_blocks_free();
    h.submit();
    const int32_t n_rounds = h.uniform(5, 40);
    for (int32_t r = 0; r < n_rounds; ++r) {
        for (int32_t i = h.uniform(0, 3); i > 0; --i) h.random_command();
        h.step();
    }
    // Drain: resume everything (paused threads would wait forever), then cancel what is left.
    for (seq_id id : h.ids) h.e.resume(id);
    for (int i = 0; i < 400 && h.step(); ++i) {
    }
    for (seq_id id : h.ids) h.e.cancel(id);
    while (h.step()) {
    }
    n_commands += h.n_commands;
    n_steps += h.e.stats().n_steps;

    INFO("seed " << seed);
    REQUIRE(h.e.health().is_ok());
    CHECK(h.e.n_sequences_live() == 0);
    h.e.cache_for_testing().clear_prefix_cache();
    CHECK(h.e.cache_for_testing().n_blocks_free() == free0);
    CHECK(h.is_step_ordered);
    for (auto & [id, t] : h.threads) {
        INFO("thread " << id << (t.is_fork ? " (fork of " + std::to_string(t.src) + ")" : std::string()));
        if (t.is_fork && !h.fed.count(id)) {  // never ran
            CHECK(t.record.empty());
            CHECK(h.may_drop(id, t));
            if (t.n_final == 0)
                CHECK(h.may_be_silent(id, t));
            else
                CHECK((t.n_final == 1 && t.finish == engine::finish_reason::cancelled));
            continue;
        }
        CHECK(t.n_final == 1);
        REQUIRE(h.fed.count(id));
        std::vector<int32_t> full = t.base;
        full.insert(full.end(), t.record.begin(), t.record.end());
        CHECK(full == h.fed[id]);
    }
}

}  // namespace

TEST_CASE("random command sequences: no abort, pages back, one final event each, recorded = fed") {
    int64_t n_sequences = 4000;
    if (const char * v = std::getenv("TTS_RANDOM_SEQUENCES")) n_sequences = std::atoll(v);
    int64_t n_commands = 0, n_steps = 0;
    for (int64_t seed = 0; seed < n_sequences; ++seed) run_sequence(uint64_t(seed), n_commands, n_steps);
    std::printf("engine_random_test: %lld sequences, %lld random commands, %lld engine steps\n", (long long)n_sequences,
                (long long)n_commands, (long long)n_steps);
}

TEST_CASE("random command sequences are reproducible from their seed") {
    // Same seed, same events: nothing in the engine depends on addresses, time or threads.
    for (uint64_t seed : {3u, 17u, 99u}) {
        std::vector<std::map<seq_id, thread_log>> runs;
        for (int rep = 0; rep < 2; ++rep) {
            engine::engine_options o;
            o.kv_bytes = size_t(64) << 10;
            o.max_step_tokens = 16;
            harness h(seed, o);
            h.submit();
            for (int r = 0; r < 30; ++r) {
                h.random_command();
                h.step();
            }
            for (seq_id id : h.ids) h.e.cancel(id);
            h.e.run_until_idle();
            runs.push_back(h.threads);
        }
        REQUIRE(runs[0].size() == runs[1].size());
        for (auto & [id, t] : runs[0]) CHECK(t.record == runs[1][id].record);
    }
}
