// engine_loop: step, time, publish; sleep until the next command.
#include "runtime/server/engine_loop.h"

#include <chrono>

namespace tts::server {

void engine_loop::start() {
    {
        std::lock_guard lk(mu_);
        is_stopping_ = false;
    }
    thread_ = std::thread([this] { run(); });
}

void engine_loop::stop() {
    if (!thread_.joinable()) return;
    {
        std::lock_guard lk(mu_);
        is_stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
}

void engine_loop::wake() {
    {
        std::lock_guard lk(mu_);
        ++epoch_;
    }
    cv_.notify_one();
}

void engine_loop::run() {
    for (;;) {
        uint64_t seen = 0;
        {
            std::lock_guard lk(mu_);
            if (is_stopping_) return;
            seen = epoch_;
        }
        const auto t0 = std::chrono::steady_clock::now();
        const bool worked = eng_.step();
        if (worked) metrics_.step_seconds.observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        const engine::engine_stats st = eng_.stats();
        metrics_.set_engine({st.n_blocks_total, st.n_blocks_free, st.n_blocks_cached, eng_.n_sequences_live(), st.n_steps,
                             st.n_preemptions});
        if (worked) continue;
        // A command queued after `seen` was read bumped the epoch: no lost wake-up.
        std::unique_lock lk(mu_);
        cv_.wait(lk, [&] { return is_stopping_ || epoch_ != seen; });
    }
}

std::vector<engine::seq_id> waking_backend::submit(engine::request_spec spec) {
    std::vector<engine::seq_id> ids = in_.submit(std::move(spec));
    loop_.wake();
    return ids;
}

engine::seq_id waking_backend::fork(engine::seq_id src, std::optional<uint64_t> seed, std::optional<engine::generation_params> p) {
    const engine::seq_id id = in_.fork(src, seed, std::move(p));
    loop_.wake();
    return id;
}

}  // namespace tts::server
