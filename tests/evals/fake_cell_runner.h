// fake_cell_runner: a deterministic stand-in for model + engine + controller + strategy, for
// the runner, store and report tests (resume, shards, files).
//
// Thread i of (problem, seed) has a length and an answer that depend only on those three
// values. About 60% of threads answer the gold answer. The verdicts are computed with
// evals/replay itself, so they say nothing about whether replay is right: the replay
// cross-check uses scripted_cell_runner.h (the real strategies) instead. `delay` makes cells
// slow enough to be killed mid-run.
#pragma once

#include <chrono>
#include <thread>

#include <boost/json.hpp>

#include "evals/replay.h"
#include "evals/sweep.h"

namespace tts::eval::testing {

inline uint64_t mix(uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

inline trace_thread fake_thread(const problem & p, uint64_t seed, int i) {
    const uint64_t h = mix(mix(uint64_t(p.id) * 1000003 + seed) + uint64_t(i));
    trace_thread t;
    t.thread_index = i;
    t.n_tokens = 20 + int64_t(h % 200);
    const int pick = int((h >> 20) % 10);
    if (pick < 6) t.answer = p.answer;
    else if (pick < 9) t.answer = std::to_string(100 + pick);
    return t;  // pick == 9: no answer
}

inline int64_t int_param(const strategy_spec & s, const std::string & key, int64_t fallback) {
    for (const strategy_param & p : s.params)
        if (p.key == key && std::holds_alternative<int64_t>(p.value)) return std::get<int64_t>(p.value);
    return fallback;
}

inline cell_runner make_fake_runner(std::chrono::milliseconds delay = std::chrono::milliseconds(0)) {
    return [delay](const cell_request & r) -> result<strategy::verdict> {
        if (delay.count() > 0) std::this_thread::sleep_for(delay);
        const std::string & name = r.strategy.strategy;
        if (name == "broken") return status::internal("broken strategy");
        const int k = int(int_param(r.strategy, "k", 1));
        std::vector<trace_thread> pool;
        for (int i = 0; i < k; ++i) pool.push_back(fake_thread(r.prob, r.where.seed, i));
        replay_outcome o;
        if (name == "first_finish") o = replay_first_finish(pool, k);
        else if (name == "short_m_at_k") o = replay_short_m_at_k(pool, int(int_param(r.strategy, "m", 1)), k);
        else o = replay_majority(pool, k);
        strategy::verdict v;
        v.answer = o.answer;
        v.n_tokens_total = o.n_tokens_total;
        v.n_tokens_sequential = o.n_tokens_sequential;
        v.wall_seconds = double(o.n_tokens_sequential) / 1000.0;
        v.kv_bytes_peak = size_t(o.n_tokens_total) * 1024;
        v.status = "ok";
        for (const trace_thread & t : pool) {
            strategy::thread_record rec;
            rec.thread_index = t.thread_index, rec.role = "sample", rec.finish_reason = "eos",
            rec.finish_class = "answered";
            rec.n_tokens = t.n_tokens, rec.answer = t.answer, rec.confidence = 0.5, rec.voted = true;
            v.threads.push_back(std::move(rec));
        }
        v.n_tokens_prompt = int64_t(r.user_prompt.size() / 4);
        return v;
    };
}

// A sweep over a temporary dataset of `n_problems` problems.
inline std::string fake_sweep_yaml(const std::string & dataset_path, const std::string & strategies) {
    return "name: fake\n"
           "model: models/fake.gguf\n"
           "datasets:\n"
           "  - name: toy\n"
           "    path: " + dataset_path + "\n"
           "    fields: {question: q, answer: a, kind: plain}\n"
           "strategies:\n" + strategies +
           "seeds: [0, 1]\n";
}

inline const char * k_fake_strategies =
    "  - single\n"
    "  - {strategy: self_consistency, params: {k: 8}}\n"
    "  - {strategy: first_finish, params: {k: [4, 8]}}\n"
    "  - {strategy: short_m_at_k, params: {m: 3, k: 8}}\n";

}  // namespace tts::eval::testing
