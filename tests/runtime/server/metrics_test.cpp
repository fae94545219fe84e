#include "runtime/server/metrics.h"

#include <doctest/doctest.h>

using namespace tts::server;

TEST_CASE("Prometheus text carries counters, gauges, the step histogram and the leak gauge") {
    metrics m;
    m.count_request("/v1/chat/completions", 200);
    m.count_request("/v1/chat/completions", 200);
    m.count_request("/v1/chat/completions", 400);
    m.count_cancel("disconnect");
    m.add_tokens(10, 5);
    m.step_seconds.observe(0.003);
    m.step_seconds.observe(0.2);
    m.set_engine({.n_blocks_total = 100, .n_blocks_free = 90, .n_blocks_cached = 7, .n_sequences_live = 0});
    const std::string t = m.render();
    CHECK(t.find("ttscale_requests_total{endpoint=\"/v1/chat/completions\",code=\"200\"} 2\n") != std::string::npos);
    CHECK(t.find("ttscale_requests_total{endpoint=\"/v1/chat/completions\",code=\"400\"} 1\n") != std::string::npos);
    CHECK(t.find("ttscale_requests_cancelled_total{reason=\"disconnect\"} 1\n") != std::string::npos);
    CHECK(t.find("ttscale_prompt_tokens_total 10\n") != std::string::npos);
    CHECK(t.find("ttscale_completion_tokens_total 5\n") != std::string::npos);
    CHECK(t.find("ttscale_kv_blocks_used 10\n") != std::string::npos);
    // 10 used, 7 of them cached, no live sequence: 3 pages leaked.
    CHECK(t.find("ttscale_kv_blocks_leaked 3\n") != std::string::npos);
    CHECK(t.find("ttscale_engine_step_seconds_bucket{le=\"0.005\"} 1\n") != std::string::npos);
    CHECK(t.find("ttscale_engine_step_seconds_bucket{le=\"0.25\"} 2\n") != std::string::npos);
    CHECK(t.find("ttscale_engine_step_seconds_count 2\n") != std::string::npos);
    // While sequences are live, held pages are not leaks.
    m.set_engine({.n_blocks_total = 100, .n_blocks_free = 90, .n_blocks_cached = 7, .n_sequences_live = 2});
    CHECK(m.render().find("ttscale_kv_blocks_leaked 0\n") != std::string::npos);
}
