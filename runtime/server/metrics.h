// metrics: the server's counters, gauges and histograms, written as Prometheus text.
//
// One registry per server. The HTTP fibers count requests and tokens; the engine loop thread
// sets the engine gauges and observes step times. Counters and histogram buckets are atomics;
// the engine gauges are set and read together under a mutex, so the leak gauge never mixes two
// steps. Any thread may update or render().
// Names (all prefixed ttscale_):
//   requests_total{endpoint,code}          counter: finished requests by HTTP status
//   requests_cancelled_total{reason}        counter: disconnect / api / shutdown
//   prompt_tokens_total, completion_tokens_total
//   requests_in_flight, queue_depth         gauges: admitted requests; those without a first token
//   threads_running                         gauge: live engine sequences (threads and prompt roots)
//   kv_blocks_{total,free,used,cached}      gauges from the engine (cached: prefix-cache pages)
//   kv_blocks_leaked                        gauge: pages held while no sequence is live (must be 0)
//   engine_step_seconds                     histogram of forward-pass steps
//   time_to_first_token_seconds             histogram
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace tts::server {

// Fixed-bucket histogram (seconds), lock-free.
class histogram {
public:
    static constexpr std::array<double, 12> bounds = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10};
    void observe(double seconds);
    // Appends the Prometheus lines for `name`.
    void render(std::string & out, const std::string & name, const std::string & help) const;

private:
    std::array<std::atomic<int64_t>, bounds.size() + 1> counts_{};   // last: +Inf
    std::atomic<int64_t> sum_us_{0};
};

// What the engine loop publishes after every step (engine_loop.h).
struct engine_gauges {
    int32_t n_blocks_total = 0, n_blocks_free = 0, n_blocks_cached = 0;
    int32_t n_sequences_live = 0;
    int64_t n_steps = 0, n_preemptions = 0;
};

class metrics {
public:
    void count_request(const std::string & endpoint, int http_code);
    void count_cancel(const std::string & reason);
    void add_tokens(int64_t n_prompt, int64_t n_completion);
    std::atomic<int64_t> n_requests_in_flight{0};
    std::atomic<int64_t> n_queued{0};
    histogram step_seconds;
    histogram ttft_seconds;
    void set_engine(const engine_gauges & g);
    engine_gauges engine() const;

    // The whole registry in Prometheus text exposition format.
    std::string render() const;

private:
    mutable std::mutex mu_;   // guards the labelled maps (rare updates)
    std::map<std::pair<std::string, int>, int64_t> requests_;
    std::map<std::string, int64_t> cancels_;
    std::atomic<int64_t> n_prompt_tokens_{0}, n_completion_tokens_{0};
    mutable std::mutex engine_mu_;
    engine_gauges engine_;   // guarded by engine_mu_
};

}  // namespace tts::server
