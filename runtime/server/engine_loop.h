// engine_loop: the server's engine thread — steps the shared engine, times every step, and
// publishes the engine's gauges for /metrics.
//
// engine::start() runs the same loop, but its stats may only be read on the engine thread; this
// loop reads them there after every step and stores them in the metrics registry, and observes
// each step's wall time. It sleeps when a step finds nothing to do and wakes when a command is
// queued: every command reaches the engine through waking_backend, which forwards to the real
// backend and then calls wake(). So all sessions and plain requests of the server share one
// engine (continuous batching, one prefix cache) and one KV pool.
//
// Threading: start()/stop() on the owning thread; wake() and the backend's methods from any thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "runtime/controller/decoder_backend.h"
#include "runtime/engine/engine.h"
#include "runtime/server/metrics.h"

namespace tts::server {

class engine_loop {
public:
    engine_loop(engine::engine & eng, metrics & m) : eng_(eng), metrics_(m) {}
    ~engine_loop() { stop(); }
    engine_loop(const engine_loop &) = delete;
    engine_loop & operator=(const engine_loop &) = delete;

    void start();
    // Returns after the current step; commands still queued stay queued.
    void stop();
    // Any thread: a command was queued; step again.
    void wake();

private:
    void run();

    engine::engine & eng_;
    metrics & metrics_;
    std::mutex mu_;
    std::condition_variable cv_;
    uint64_t epoch_ = 0;   // bumped by wake()
    bool is_stopping_ = false;
    std::thread thread_;
};

// decoder_backend that forwards to `inner` and wakes the loop after every command.
class waking_backend final : public controller::decoder_backend {
public:
    waking_backend(controller::decoder_backend & inner, engine_loop & loop) : in_(inner), loop_(loop) {}

    std::vector<engine::seq_id> submit(engine::request_spec spec) override;
    engine::seq_id fork(engine::seq_id src, std::optional<uint64_t> seed, std::optional<engine::generation_params> p) override;
    void cancel(engine::seq_id id) override { in_.cancel(id); loop_.wake(); }
    void pause(engine::seq_id id) override { in_.pause(id); loop_.wake(); }
    void resume(engine::seq_id id) override { in_.resume(id); loop_.wake(); }
    void inject(engine::seq_id id, std::vector<int32_t> tokens) override { in_.inject(id, std::move(tokens)); loop_.wake(); }

    std::vector<int32_t> tokenize(std::string_view text) const override { return in_.tokenize(text); }
    std::string detokenize(std::span<const int32_t> tokens) const override { return in_.detokenize(tokens); }
    std::vector<int32_t> encode_prompt(std::string_view m) const override { return in_.encode_prompt(m); }
    std::vector<int32_t> encode_chat(std::string_view system, std::string_view m) const override {
        return in_.encode_chat(system, m);
    }
    std::optional<int32_t> think_end_token() const override { return in_.think_end_token(); }
    size_t kv_bytes_per_token() const override { return in_.kv_bytes_per_token(); }

private:
    controller::decoder_backend & in_;
    engine_loop & loop_;
};

}  // namespace tts::server
