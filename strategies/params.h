// params: typed strategy and session parameters read from a generic key/value map.
//
// YAML sweeps, HTTP requests and `ttscale run --param k=v` all arrive as string maps; each
// strategy's params struct reads its keys through a param_reader, which checks types and
// ranges and rejects unknown keys, naming the key in every error (STYLE R12):
//   short_m_at_k.m: expected an integer in [1, 4096], got "three"
//   short_m_at_k: unknown parameter "mm" (known: k, m, think)
// Session-level keys (sampling, max_tokens, seed, budgets) are taken out of the map first by
// take_session_params(); strategy_limits carries the ones parameters are checked against.
// Pure functions; any thread.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/base/status.h"
#include "runtime/controller/session.h"

namespace tts::strategy {

using param_map = std::map<std::string, std::string, std::less<>>;

class param_reader {
public:
    param_reader(const param_map & m, std::string_view where) : m_(m), where_(where) {}

    // Each get leaves `out` unchanged when the key is absent.
    void get(std::string_view key, int32_t & out, int32_t lo, int32_t hi);
    void get(std::string_view key, int64_t & out, int64_t lo, int64_t hi);
    void get(std::string_view key, uint64_t & out);
    void get(std::string_view key, double & out, double lo, double hi);
    void get(std::string_view key, bool & out);
    // REQUIRES: allowed non-empty when the value must be one of a set.
    void get(std::string_view key, std::string & out, const std::vector<std::string_view> & allowed = {});
    // The first bad value, else the first unknown key, else ok.
    status finish() const;

private:
    const std::string * find(std::string_view key);
    void fail(std::string_view key, std::string_view expected, const std::string & got);

    const param_map & m_;
    std::string where_;
    std::vector<std::string> known_;
    status error_;
};

// Moves the session keys out of `params` into `out`: temperature, top_p, top_k, min_p,
// max_tokens, n_top_logprobs, seed, max_total_tokens, max_wall_seconds, max_kv_bytes,
// max_live_threads. Errors name the key ("session.top_p: ...").
status take_session_params(param_map & params, controller::session_options & out);

// What a strategy's parameters are checked against besides their own ranges: the budgets they
// run under. A parameter that cannot take effect under them (a DeepConf window longer than any
// thread, m > k, more threads than may live at once, ...) is a config error naming the key and
// why (each strategy's `check`). 0: unknown or unlimited, not checked.
struct strategy_limits {
    int32_t max_tokens = 0;        // per thread (session params.max_tokens)
    int64_t max_total_tokens = 0;  // per request
    int32_t max_live_threads = 0;  // at once
    static strategy_limits of(const controller::session_options & so);
};

// How a strategy treats threads truncated at max_tokens or by a budget (controller/finish_class.h).
// One key for every strategy: `truncated: ignore` (default: they do not vote, win a race or
// fill short-m@k's slots) or `truncated: vote` (they do, with whatever answer their unfinished
// text yields).
struct finish_policy {
    bool with_truncated = false;
    void read(param_reader & r);
    controller::finish_filter filter(bool on_think_end = false) const { return {on_think_end, with_truncated}; }
};

// "<where>.<key>: <why>" as an invalid_argument status.
status param_error(std::string_view where, std::string_view key, const std::string & why);

}  // namespace tts::strategy
