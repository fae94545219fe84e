// params: parsing with errors that name the key and the offending value.
#include "strategies/params.h"

#include <charconv>
#include <cmath>
#include <cstdlib>

namespace tts::strategy {

const std::string * param_reader::find(std::string_view key) {
    known_.emplace_back(key);
    auto it = m_.find(key);
    return it == m_.end() ? nullptr : &it->second;
}

void param_reader::fail(std::string_view key, std::string_view expected, const std::string & got) {
    if (!error_.is_ok()) return;
    error_ = status::invalid_argument(where_ + "." + std::string(key) + ": expected " + std::string(expected) + ", got \"" + got + "\"");
}

namespace {
template <typename T>
bool parse_int(const std::string & s, T & v) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return ec == std::errc() && p == s.data() + s.size();
}
}  // namespace

void param_reader::get(std::string_view key, int32_t & out, int32_t lo, int32_t hi) {
    int64_t v = out;
    get(key, v, lo, hi);
    out = int32_t(v);
}

void param_reader::get(std::string_view key, int64_t & out, int64_t lo, int64_t hi) {
    const std::string * s = find(key);
    if (!s) return;
    int64_t v = 0;
    if (!parse_int(*s, v) || v < lo || v > hi)
        return fail(key, "an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]", *s);
    out = v;
}

void param_reader::get(std::string_view key, uint64_t & out) {
    const std::string * s = find(key);
    if (!s) return;
    uint64_t v = 0;
    if (!parse_int(*s, v)) return fail(key, "a non-negative integer", *s);
    out = v;
}

void param_reader::get(std::string_view key, double & out, double lo, double hi) {
    const std::string * s = find(key);
    if (!s) return;
    char * end = nullptr;
    const double v = std::strtod(s->c_str(), &end);
    if (s->empty() || end != s->c_str() + s->size() || !std::isfinite(v) || v < lo || v > hi)
        return fail(key, "a number in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]", *s);
    out = v;
}

void param_reader::get(std::string_view key, bool & out) {
    const std::string * s = find(key);
    if (!s) return;
    if (*s == "true" || *s == "1" || *s == "yes") out = true;
    else if (*s == "false" || *s == "0" || *s == "no") out = false;
    else fail(key, "true or false", *s);
}

void param_reader::get(std::string_view key, std::string & out, const std::vector<std::string_view> & allowed) {
    const std::string * s = find(key);
    if (!s) return;
    if (allowed.empty()) {
        out = *s;
        return;
    }
    std::string list;
    for (auto a : allowed) {
        if (a == *s) {
            out = *s;
            return;
        }
        list += (list.empty() ? "" : ", ") + std::string(a);
    }
    fail(key, "one of " + list, *s);
}

status param_reader::finish() const {
    if (!error_.is_ok()) return error_;
    for (auto & [k, v] : m_) {
        bool ok = false;
        for (auto & known : known_) ok |= known == k;
        if (ok) continue;
        std::string list;
        for (auto & known : known_) list += (list.empty() ? "" : ", ") + known;
        return status::invalid_argument(where_ + ": unknown parameter \"" + k + "\" (known: " + list + ")");
    }
    return status::ok();
}

status take_session_params(param_map & params, controller::session_options & out) {
    static const char * keys[] = {"temperature", "top_p", "top_k", "min_p", "max_tokens", "n_top_logprobs", "seed",
                                  "max_total_tokens", "max_wall_seconds", "max_kv_bytes", "max_live_threads"};
    param_map mine;
    for (const char * k : keys)
        if (auto it = params.find(k); it != params.end()) {
            mine.insert(*it);
            params.erase(it);
        }
    param_reader r(mine, "session");
    auto & s = out.params.sampling;
    double temperature = s.temperature, top_p = s.top_p, min_p = s.min_p;
    r.get("temperature", temperature, 0.0, 100.0);
    r.get("top_p", top_p, 0.0, 1.0);
    r.get("top_k", s.top_k, 0, 1 << 20);
    r.get("min_p", min_p, 0.0, 1.0);
    r.get("n_top_logprobs", s.n_top_logprobs, 0, 20);
    r.get("max_tokens", out.params.max_tokens, 1, 1 << 24);
    r.get("seed", out.seed);
    r.get("max_total_tokens", out.limits.max_total_tokens, 0, int64_t(1) << 50);
    r.get("max_wall_seconds", out.limits.max_wall_seconds, 0.0, 1e9);
    int64_t kv = int64_t(out.limits.max_kv_bytes);
    r.get("max_kv_bytes", kv, 0, int64_t(1) << 50);
    r.get("max_live_threads", out.limits.max_live_threads, 0, 1 << 20);
    s.temperature = float(temperature);
    s.top_p = float(top_p);
    s.min_p = float(min_p);
    out.limits.max_kv_bytes = size_t(kv);
    return r.finish();
}

strategy_limits strategy_limits::of(const controller::session_options & so) {
    return {so.params.max_tokens, so.limits.max_total_tokens, so.limits.max_live_threads};
}

void finish_policy::read(param_reader & r) {
    std::string t = with_truncated ? "vote" : "ignore";
    r.get("truncated", t, {"ignore", "vote"});
    with_truncated = t == "vote";
}

status param_error(std::string_view where, std::string_view key, const std::string & why) {
    return status::invalid_argument(std::string(where) + "." + std::string(key) + ": " + why);
}

}  // namespace tts::strategy
