// params: typed strategy and session parameters read from a generic key/value map.
//
// YAML sweeps, HTTP requests and `ttscale run --param k=v` all arrive as string maps; each
// strategy's params struct reads its keys through a param_reader, which checks types and
// ranges and rejects unknown keys, naming the key in every error (STYLE R12):
//   short_m_at_k.m: expected an integer in [1, 4096], got "three"
//   short_m_at_k: unknown parameter "mm" (known: k, m, think)
// Session-level keys (sampling, max_tokens, seed, budgets) are taken out of the map first by
// take_session_params(). Pure functions; any thread.
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

}  // namespace tts::strategy
