// metrics: atomic updates, Prometheus text rendering.
#include "runtime/server/metrics.h"

#include <fmt/format.h>

namespace tts::server {

void histogram::observe(double s) {
    size_t i = 0;
    while (i < bounds.size() && s > bounds[i]) ++i;
    counts_[i].fetch_add(1, std::memory_order_relaxed);
    sum_us_.fetch_add(int64_t(s * 1e6), std::memory_order_relaxed);
}

void histogram::render(std::string & out, const std::string & name, const std::string & help) const {
    out += fmt::format("# HELP {} {}\n# TYPE {} histogram\n", name, help, name);
    int64_t cum = 0;
    for (size_t i = 0; i < bounds.size(); ++i) {
        cum += counts_[i].load(std::memory_order_relaxed);
        out += fmt::format("{}_bucket{{le=\"{}\"}} {}\n", name, bounds[i], cum);
    }
    cum += counts_[bounds.size()].load(std::memory_order_relaxed);
    out += fmt::format("{}_bucket{{le=\"+Inf\"}} {}\n{}_sum {}\n{}_count {}\n", name, cum, name,
                       double(sum_us_.load(std::memory_order_relaxed)) / 1e6, name, cum);
}

void metrics::count_request(const std::string & endpoint, int code) {
    std::lock_guard lk(mu_);
    ++requests_[{endpoint, code}];
}

void metrics::count_cancel(const std::string & reason) {
    std::lock_guard lk(mu_);
    ++cancels_[reason];
}

void metrics::add_tokens(int64_t n_prompt, int64_t n_completion) {
    n_prompt_tokens_ += n_prompt;
    n_completion_tokens_ += n_completion;
}

void metrics::set_engine(const engine_gauges & g) {
    std::lock_guard lk(engine_mu_);
    engine_ = g;
}

engine_gauges metrics::engine() const {
    std::lock_guard lk(engine_mu_);
    return engine_;
}

namespace {
void metric(std::string & out, const char * name, const char * type, const char * help, auto value) {
    out += fmt::format("# HELP ttscale_{} {}\n# TYPE ttscale_{} {}\nttscale_{} {}\n", name, help, name, type, name, value);
}
}  // namespace

std::string metrics::render() const {
    std::string out;
    {
        std::lock_guard lk(mu_);
        out += "# HELP ttscale_requests_total Finished HTTP requests by endpoint and status code.\n"
               "# TYPE ttscale_requests_total counter\n";
        for (const auto & [k, n] : requests_)
            out += fmt::format("ttscale_requests_total{{endpoint=\"{}\",code=\"{}\"}} {}\n", k.first, k.second, n);
        out += "# HELP ttscale_requests_cancelled_total Requests cancelled before they finished, by reason.\n"
               "# TYPE ttscale_requests_cancelled_total counter\n";
        for (const auto & [reason, n] : cancels_)
            out += fmt::format("ttscale_requests_cancelled_total{{reason=\"{}\"}} {}\n", reason, n);
    }
    metric(out, "prompt_tokens_total", "counter", "Prompt tokens of admitted requests.", n_prompt_tokens_.load());
    metric(out, "completion_tokens_total", "counter", "Tokens generated for requests.", n_completion_tokens_.load());
    metric(out, "requests_in_flight", "gauge", "Admitted requests not yet answered.", n_requests_in_flight.load());
    metric(out, "queue_depth", "gauge", "Admitted requests still waiting for their first token.", n_queued.load());
    const engine_gauges g = engine();
    metric(out, "threads_running", "gauge", "Live engine sequences (reasoning threads and prompt roots).", g.n_sequences_live);
    metric(out, "kv_blocks_total", "gauge", "KV cache pages in the pool.", g.n_blocks_total);
    metric(out, "kv_blocks_free", "gauge", "KV cache pages on the free list.", g.n_blocks_free);
    metric(out, "kv_blocks_used", "gauge", "KV cache pages held (by sequences or the prefix cache).", g.n_blocks_total - g.n_blocks_free);
    metric(out, "kv_blocks_cached", "gauge", "KV cache pages held by the prefix cache.", g.n_blocks_cached);
    const int32_t leaked = g.n_sequences_live == 0 ? g.n_blocks_total - g.n_blocks_free - g.n_blocks_cached : 0;
    metric(out, "kv_blocks_leaked", "gauge", "Pages held by no live sequence and not cached (measured when no sequence is live).", leaked);
    metric(out, "engine_steps_total", "counter", "Engine steps (forward passes).", g.n_steps);
    metric(out, "engine_preemptions_total", "counter", "Threads preempted for lack of KV pages.", g.n_preemptions);
    step_seconds.render(out, "ttscale_engine_step_seconds", "Wall time of one engine step (schedule, forward pass, sampling).");
    ttft_seconds.render(out, "ttscale_time_to_first_token_seconds", "From admission to the first generated token.");
    return out;
}

}  // namespace tts::server
