// The decoder_backend contract (runtime/controller/decoder_backend.h), checked on both
// implementations the strategies meet: the real engine (engine_backend over a tiny
// random-weight llama built by tests/support/tiny_model, no model download) and
// tests/support/scripted_decoder. Every case states a relation between runs (a thread's
// stream with and without a command, a fork against its source, an injection against a fresh
// prompt), so the same case holds for a sampled model and for scripts; when the double drifts
// from the engine (event order, what a command does, when it applies, how a thread ends) one
// of the two instantiations fails.
#include "runtime/controller/decoder_backend.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include <unistd.h>

#include "runtime/controller/engine_backend.h"
#include "runtime/model/decoder.h"
#include "tests/support/scripted_decoder.h"
#include "tests/support/tiny_model.h"

using namespace tts;
using controller::seq_id;
using engine::finish_reason;
using engine::token_event;

namespace {

// Collects a backend's events (sinks run on its decoding thread); `hook` may queue commands.
struct event_log {
    std::mutex mu;
    std::condition_variable cv;
    std::map<seq_id, std::vector<token_event>> by_seq;
    std::vector<token_event> all;
    std::function<void(const token_event &)> hook;
    // A hook that needs the request's ids waits (on the decoding thread) until the test has
    // stored them and armed the log.
    std::atomic<bool> is_armed{true};

    engine::event_sink sink() {
        return [this](const token_event & e) {
            while (!is_armed) std::this_thread::yield();
            {
                std::lock_guard lk(mu);
                by_seq[e.seq].push_back(e);
                all.push_back(e);
            }
            if (hook) hook(e);
            cv.notify_all();
        };
    }
    bool is_ended_locked(seq_id id) {
        auto it = by_seq.find(id);
        return it != by_seq.end() && !it->second.empty() && it->second.back().finish != finish_reason::none;
    }
    // Waits until every id has ended; false after 60 s (a command lost or misapplied).
    bool wait_ended(const std::vector<seq_id> & ids) {
        std::unique_lock lk(mu);
        return cv.wait_for(lk, std::chrono::seconds(60), [&] {
            return std::all_of(ids.begin(), ids.end(), [&](seq_id id) { return is_ended_locked(id); });
        });
    }
    std::vector<int32_t> tokens(seq_id id) {
        std::lock_guard lk(mu);
        std::vector<int32_t> out;
        for (const token_event & e : by_seq[id])
            if (e.token >= 0) out.push_back(e.token);
        return out;
    }
    std::vector<token_event> events(seq_id id) {
        std::lock_guard lk(mu);
        return by_seq[id];
    }
    finish_reason finish(seq_id id) {
        std::lock_guard lk(mu);
        return by_seq[id].empty() ? finish_reason::none : by_seq[id].back().finish;
    }
};

const char * k_inject = "#INJECT#";

// The scripted decoder: distinct texts per thread; a prompt holding the injection marker (a
// fresh prompt "prompt + tokens so far + injection") plays the probe, as an injected thread does.
struct scripted_harness {
    test::scripted_decoder dec{test::scripted_decoder::picker([](const test::scripted_request & r) {
        static const char * texts[] = {"the quick brown fox jumps over", "a lazy dog sleeps in the sun all day",
                                       "pack my box with five dozen jugs"};
        const std::string probe = "probe answer 42";
        if (r.prompt.find(k_inject) != std::string::npos) return test::script{.text = probe, .probe = probe};
        return test::script{.text = texts[size_t(r.thread_index) % 3], .probe = probe};
    })};
    controller::decoder_backend & be() { return dec; }
    bool is_eog(int32_t t) const { return t == test::scripted_decoder::eos_token; }
};

// The real engine on a tiny random llama (written once per process).
struct engine_harness {
    static model::decoder & decoder() {
        static std::unique_ptr<model::decoder> d = testing::make_tiny_decoder();
        return *d;
    }
    engine::engine eng{decoder(), engine::engine_options{.kv_bytes = size_t(8) << 20}};
    controller::engine_backend backend{eng, decoder()};
    engine_harness() { eng.start(); }
    ~engine_harness() { eng.stop(); }
    controller::decoder_backend & be() { return backend; }
    bool is_eog(int32_t t) const { return decoder().is_end_of_generation(t); }
};

engine::request_spec spec(const std::vector<int32_t> & prompt, int32_t n, int32_t max_tokens, uint64_t seed,
                          event_log & log, bool ignore_eos = true) {
    engine::request_spec s;
    s.prompt = prompt;
    s.params.sampling.temperature = 1.0f;
    s.params.max_tokens = max_tokens;
    s.params.ignore_eos = ignore_eos;
    s.n_threads = n;
    s.seed = seed;
    s.sink = log.sink();
    return s;
}

// Runs one request to its end; returns each thread's tokens.
template <typename H>
std::vector<std::vector<int32_t>> reference(H & h, const std::vector<int32_t> & prompt, int32_t n, int32_t max_tokens,
                                            uint64_t seed = 5) {
    event_log log;
    auto ids = h.be().submit(spec(prompt, n, max_tokens, seed, log));
    REQUIRE(log.wait_ended(ids));
    std::vector<std::vector<int32_t>> out;
    for (seq_id id : ids) out.push_back(log.tokens(id));
    return out;
}

// A prompt of plain bytes.
template <typename H>
std::vector<int32_t> prompt_of(H & h, const std::string & text = "Q: what comes next?") {
    return h.be().tokenize(text);
}

}  // namespace

TEST_CASE_TEMPLATE("contract: lockstep events, counts, max_tokens, thread reproducibility", H, scripted_harness,
                   engine_harness) {
    H h;
    event_log log;
    auto ids = h.be().submit(spec(prompt_of(h), 3, 12, 5, log));
    REQUIRE(ids.size() == 3);
    REQUIRE(log.wait_ended(ids));
    for (seq_id id : ids) {
        auto ev = log.events(id);
        REQUIRE(ev.size() == 12);
        for (size_t i = 0; i < ev.size(); ++i) {
            CHECK(ev[i].n_generated == int32_t(i) + 1);
            CHECK(ev[i].token >= 0);
            CHECK(ev[i].finish == (i + 1 == ev.size() ? finish_reason::max_tokens : finish_reason::none));
        }
    }
    // One round per step: the threads' n-th tokens come together, in ascending id order.
    std::vector<seq_id> order;
    for (const token_event & e : log.all) order.push_back(e.seq);
    for (size_t i = 0; i < order.size(); ++i) CHECK(order[i] == ids[i % 3]);
    // A thread depends only on (prompt, params, seed, thread index): not on its siblings, nor
    // on another request sharing the steps.
    CHECK(reference(h, prompt_of(h), 1, 12)[0] == log.tokens(ids[0]));
    event_log both;
    auto a = h.be().submit(spec(prompt_of(h), 2, 12, 5, both));
    auto b = h.be().submit(spec(prompt_of(h, "Another request entirely."), 2, 12, 9, both));
    REQUIRE(both.wait_ended(a));
    REQUIRE(both.wait_ended(b));
    CHECK(both.tokens(a[1]) == log.tokens(ids[1]));
}

TEST_CASE_TEMPLATE("contract: an end-of-generation token ends the thread unless ignore_eos", H, scripted_harness,
                   engine_harness) {
    H h;
    // Find a seed whose stream (EOS ignored) holds an end-of-generation token after position 0.
    for (uint64_t seed = 0; seed < 64; ++seed) {
        const std::vector<int32_t> t = reference(h, prompt_of(h), 1, 64, seed)[0];
        auto at = std::find_if(t.begin() + 1, t.end(), [&](int32_t x) { return h.is_eog(x); });
        if (at == t.end()) continue;
        event_log log;
        auto ids = h.be().submit(spec(prompt_of(h), 1, 64, seed, log, /*ignore_eos=*/false));
        REQUIRE(log.wait_ended(ids));
        CHECK(log.finish(ids[0]) == finish_reason::eos);
        CHECK(log.tokens(ids[0]) == std::vector<int32_t>(t.begin(), at + 1));  // the EOS token is emitted
        return;
    }
    FAIL("no stream with an end-of-generation token in 64 seeds");
}

TEST_CASE_TEMPLATE("contract: stop tokens and stop strings end a thread where they first appear", H, scripted_harness,
                   engine_harness) {
    H h;
    std::vector<int32_t> t;
    size_t j = 0;
    uint64_t seed = 0;
    // A stream whose first tokens are single bytes (the same text however they are rendered),
    // with a token at j >= 3 not seen before it.
    for (; seed < 64 && j == 0; ++seed) {
        t = reference(h, prompt_of(h), 1, 24, seed)[0];
        if (!std::all_of(t.begin(), t.begin() + 12, [](int32_t x) { return x < 256; })) continue;
        for (size_t i = 3; i < 10 && j == 0; ++i)
            if (std::find(t.begin(), t.begin() + long(i), t[i]) == t.begin() + long(i)) j = i;
    }
    REQUIRE(j > 0);
    event_log log;
    engine::request_spec s = spec(prompt_of(h), 1, 24, seed - 1, log);
    s.params.stop_tokens = {t[j]};
    auto ids = h.be().submit(s);
    REQUIRE(log.wait_ended(ids));
    CHECK(log.finish(ids[0]) == finish_reason::stop_token);
    CHECK(log.tokens(ids[0]) == std::vector<int32_t>(t.begin(), t.begin() + long(j) + 1));

    // A stop string of two tokens' text: the thread ends on the token that completes its first
    // occurrence.
    const std::string stop = h.be().detokenize(std::span(t).subspan(j, 2));
    size_t end = 0;
    while (h.be().detokenize(std::span(t).subspan(0, end + 1)).find(stop) == std::string::npos) ++end;
    event_log log2;
    engine::request_spec s2 = s;
    s2.params.stop_tokens.clear();
    s2.params.stop_strings = {stop};
    s2.sink = log2.sink();
    auto ids2 = h.be().submit(s2);
    REQUIRE(log2.wait_ended(ids2));
    CHECK(log2.finish(ids2[0]) == finish_reason::stop_string);
    CHECK(log2.tokens(ids2[0]) == std::vector<int32_t>(t.begin(), t.begin() + long(end) + 1));
}

TEST_CASE_TEMPLATE("contract: cancel from a sink applies at the next step; siblings go on unchanged", H,
                   scripted_harness, engine_harness) {
    H h;
    const auto ref = reference(h, prompt_of(h), 2, 16);
    event_log log;
    std::atomic<seq_id> victim{-1};
    log.hook = [&](const token_event & e) {
        if (e.seq == victim && e.n_generated == 3 && e.finish == finish_reason::none) h.be().cancel(e.seq);
    };
    log.is_armed = false;
    auto ids = h.be().submit(spec(prompt_of(h), 2, 16, 5, log));
    victim = ids[0];
    log.is_armed = true;
    REQUIRE(log.wait_ended(ids));
    auto ev = log.events(ids[0]);
    REQUIRE(ev.size() == 4);
    CHECK(ev.back().finish == finish_reason::cancelled);
    CHECK(ev.back().token == -1);
    CHECK(ev.back().n_generated == 3);
    CHECK(log.tokens(ids[0]) == std::vector<int32_t>(ref[0].begin(), ref[0].begin() + 3));
    CHECK(log.tokens(ids[1]) == ref[1]);
}

TEST_CASE_TEMPLATE("contract: pause and resume apply in call order and keep the stream", H, scripted_harness,
                   engine_harness) {
    H h;
    const auto ref = reference(h, prompt_of(h), 2, 16);
    event_log log;
    std::atomic<seq_id> a{-1}, b{-1};
    log.hook = [&](const token_event & e) {
        if (e.seq == a && e.n_generated == 2 && e.token >= 0) {  // pause then resume in one batch: no effect
            h.be().pause(e.seq);
            h.be().resume(e.seq);
        }
        if (e.seq == a && e.n_generated == 3 && e.token >= 0) h.be().pause(e.seq);  // paused until b has ended
        if (e.seq == b && e.finish != finish_reason::none) h.be().resume(a);
    };
    log.is_armed = false;
    auto ids = h.be().submit(spec(prompt_of(h), 2, 16, 5, log));
    a = ids[0], b = ids[1];
    log.is_armed = true;
    REQUIRE(log.wait_ended(ids));  // a resume applied before its pause would leave `a` paused forever
    CHECK(log.tokens(ids[0]) == ref[0]);
    CHECK(log.tokens(ids[1]) == ref[1]);
    // a's 4th token comes after b's last event.
    std::lock_guard lk(log.mu);
    size_t b_end = 0, a4 = 0;
    for (size_t i = 0; i < log.all.size(); ++i) {
        if (log.all[i].seq == ids[1] && log.all[i].finish != finish_reason::none) b_end = i;
        if (log.all[i].seq == ids[0] && log.all[i].n_generated == 4) a4 = i;
    }
    CHECK(a4 > b_end);
}

TEST_CASE_TEMPLATE("contract: a fork continues its source exactly and shares its sink", H, scripted_harness,
                   engine_harness) {
    H h;
    const auto ref = reference(h, prompt_of(h), 1, 16);
    event_log log;
    std::atomic<seq_id> src{-1}, fork{-1};
    log.hook = [&](const token_event & e) {
        if (e.seq == src && e.n_generated == 3 && e.token >= 0) {
            h.be().pause(e.seq);
            fork = h.be().fork(e.seq, std::nullopt, std::nullopt);
            h.be().resume(fork);
        }
        if (e.seq == fork && e.finish != finish_reason::none) h.be().resume(src);
    };
    log.is_armed = false;
    auto ids = h.be().submit(spec(prompt_of(h), 1, 16, 5, log));
    src = ids[0];
    log.is_armed = true;
    REQUIRE(log.wait_ended(ids));
    REQUIRE(fork >= 0);
    REQUIRE(log.wait_ended({fork}));
    auto fe = log.events(fork);
    REQUIRE(!fe.empty());
    CHECK(fe.front().n_generated == 4);  // the source's count + 1
    CHECK(log.tokens(fork) == std::vector<int32_t>(ref[0].begin() + 3, ref[0].end()));
    CHECK(log.tokens(src) == ref[0]);  // the source, paused and resumed, is unchanged
}

TEST_CASE_TEMPLATE("contract: tokens injected after a fork are fed as if they were in the prompt", H, scripted_harness,
                   engine_harness) {
    H h;
    const auto ref = reference(h, prompt_of(h), 1, 16);
    const std::vector<int32_t> probe = h.be().tokenize(k_inject);
    engine::generation_params greedy;
    greedy.sampling.temperature = 0;
    greedy.ignore_eos = true;
    greedy.max_tokens = 3 + 8;  // a fork keeps counting from its source's tokens
    event_log log;
    std::atomic<seq_id> src{-1}, fork{-1};
    log.hook = [&](const token_event & e) {
        if (e.seq == src && e.n_generated == 3 && e.token >= 0) {
            h.be().pause(e.seq);
            fork = h.be().fork(e.seq, /*stream_seed=*/123, greedy);
            h.be().inject(fork, probe);
            h.be().resume(fork);
        }
        if (e.seq == fork && e.finish != finish_reason::none) h.be().cancel(src);
    };
    log.is_armed = false;
    auto ids = h.be().submit(spec(prompt_of(h), 1, 16, 5, log));
    src = ids[0];
    log.is_armed = true;
    REQUIRE(log.wait_ended(ids));
    REQUIRE(log.wait_ended({fork}));
    // The same continuation from a fresh prompt: prompt + the 3 tokens so far + the injection.
    std::vector<int32_t> fresh = prompt_of(h);
    fresh.insert(fresh.end(), ref[0].begin(), ref[0].begin() + 3);
    fresh.insert(fresh.end(), probe.begin(), probe.end());
    event_log log2;
    engine::request_spec s = spec(fresh, 1, 8, 77, log2);
    s.params = greedy;
    s.params.max_tokens = 8;
    auto ids2 = h.be().submit(std::move(s));
    REQUIRE(log2.wait_ended(ids2));
    CHECK(log.tokens(fork).size() == 8);
    CHECK(log.tokens(fork) == log2.tokens(ids2[0]));
}

TEST_CASE_TEMPLATE("contract: commands to ended threads are ignored; a fork of an ended thread gets at most its final event", H,
                   scripted_harness, engine_harness) {
    H h;
    event_log log;
    auto ids = h.be().submit(spec(prompt_of(h), 1, 4, 5, log));
    REQUIRE(log.wait_ended(ids));
    const seq_id f = h.be().fork(ids[0], std::nullopt, std::nullopt);
    h.be().cancel(ids[0]);
    h.be().pause(ids[0]);
    h.be().resume(ids[0]);
    h.be().inject(ids[0], {1, 2});
    // Commands apply in order at step boundaries: once a later request has ended, they have.
    auto later = h.be().submit(spec(prompt_of(h), 1, 6, 5, log));
    REQUIRE(log.wait_ended(later));
    CHECK(log.events(ids[0]).size() == 4);
    // engine.h: a fork of a source that ended in this step or the one before is answered with
    // one final event (cancelled, token -1); one that ended earlier is dropped. Either way it
    // never generates.
    const auto fe = log.events(f);
    CHECK(fe.size() <= 1);
    for (const auto & e : fe) {
        CHECK(e.finish == engine::finish_reason::cancelled);
        CHECK(e.token == -1);
    }
    // Invalid requests are refused up front.
    CHECK(h.be().submit(spec({}, 1, 4, 5, log)).empty());
    CHECK(h.be().submit(spec(prompt_of(h), 0, 4, 5, log)).empty());
    CHECK(h.be().submit(spec(prompt_of(h), 1, 0, 5, log)).empty());
}
