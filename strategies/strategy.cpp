// strategy: shared helpers for strategy files.
#include "strategies/strategy.h"

#include <algorithm>
#include <cmath>
#include <set>

#include <fmt/format.h>

#include "strategies/answer/extract.h"

namespace tts::strategy {

std::vector<int32_t> prompt_of(session & s, const problem & p) {
    return p.prompt.empty() ? s.backend().encode_chat(p.system, p.text) : p.prompt;
}

std::vector<int32_t> prompt_like(session & s, const problem & p, std::string_view user_message) {
    return s.backend().encode_chat(p.system, user_message);
}

status check_threads(std::string_view where, int32_t k, const strategy_limits & l) {
    if (l.max_live_threads > 0 && k > l.max_live_threads)
        return param_error(where, "k",
                           fmt::format("{} threads cannot run at once under max_live_threads = {} (the spawn "
                                       "would start only {})",
                                       k, l.max_live_threads, l.max_live_threads));
    return status::ok();
}

std::optional<std::string> answer_of(const session & s, thread_id t) {
    // A truncated thread (when it may vote at all) answers only with a complete statement.
    auto a = try_extract_answer(s.text(t), {.is_truncated = s.thread(t).kind() == controller::finish_class::truncated});
    if (!a) return std::nullopt;
    return a->text;
}

double mean_logprob(const controller::thread_info & t) {
    if (t.logprobs.empty()) return 0.0;
    double sum = 0;
    for (float x : t.logprobs) sum += x;
    return sum / double(t.logprobs.size());
}

double mean_confidence(const controller::thread_info & t) {
    if (t.confidences.empty()) return 0.0;
    double sum = 0;
    for (float x : t.confidences) sum += x;
    return sum / double(t.confidences.size());
}

namespace {
// Means of every window of `w` consecutive confidences (one window when shorter).
std::vector<double> window_means(const std::vector<float> & c, int32_t w) {
    if (c.empty()) return {0.0};
    const size_t n = std::min(c.size(), size_t(std::max(w, 1)));
    std::vector<double> out;
    double sum = 0;
    for (size_t i = 0; i < c.size(); ++i) {
        sum += c[i];
        if (i >= n) sum -= c[i - n];
        if (i + 1 >= n) out.push_back(sum / double(n));
    }
    return out;
}
}  // namespace

double lowest_group_confidence(const controller::thread_info & t, int32_t window) {
    auto m = window_means(t.confidences, window);
    return *std::min_element(m.begin(), m.end());
}

double tail_confidence(const controller::thread_info & t, int32_t window) {
    const auto & c = t.confidences;
    if (c.empty()) return 0.0;
    const size_t n = std::min(c.size(), size_t(std::max(window, 1)));
    double sum = 0;
    for (size_t i = c.size() - n; i < c.size(); ++i) sum += c[i];
    return sum / double(n);
}

double bottom_percent_confidence(const controller::thread_info & t, int32_t window, double percent) {
    auto m = window_means(t.confidences, window);
    std::sort(m.begin(), m.end());
    const size_t k = std::max<size_t>(1, size_t(std::floor(double(m.size()) * percent / 100.0)));
    double sum = 0;
    for (size_t i = 0; i < k; ++i) sum += m[i];
    return sum / double(k);
}

vote_candidate candidate_of(const session & s, thread_id t, const finish_policy & f, double weight, int64_t n_tokens) {
    const auto & r = s.thread(t);
    vote_candidate c;
    if (r.counts_as_finished(f.with_truncated)) c.answer = answer_of(s, t);
    c.weight = std::isfinite(weight) ? weight : 0.0;
    c.n_tokens = n_tokens >= 0 ? n_tokens : r.n_generated;
    c.thread_index = r.thread_index;
    return c;
}

int64_t longest_chain(const session & s, std::span<const thread_id> threads) {
    int64_t n = 0;
    for (thread_id t : threads) n = std::max<int64_t>(n, s.thread(t).n_generated);
    return n;
}

namespace {
// Generated tokens inside the thinking block: up to </think>, or all of them when it never
// closed (reasoning models only).
int64_t thinking_tokens(const session & s, const controller::thread_info & r) {
    if (r.think_end_at > 0) return r.think_end_at;
    return s.backend().think_end_token() ? r.n_generated : 0;
}
}  // namespace

void finish_verdict(const session & s, verdict & v, const std::map<thread_id, double> & scores) {
    std::set<int> voters;
    for (const vote_entry & e : v.votes.table) voters.insert(e.thread_indices.begin(), e.thread_indices.end());
    v.threads.clear();
    v.n_tokens_judge = v.n_tokens_thinking = 0;
    for (thread_id t = 0; t < s.n_threads(); ++t) {
        const auto & r = s.thread(t);
        thread_record rec;
        rec.thread_index = r.thread_index;
        rec.role = r.role;
        rec.finish_reason = r.finish_name();
        rec.finish_class = controller::finish_class_name(r.kind());
        rec.n_tokens = r.n_generated;
        rec.n_tokens_prompt = r.n_tokens_prompt;
        rec.think_end_at = r.think_end_at;
        rec.answer = answer_of(s, t);
        auto sc = scores.find(t);
        rec.confidence = sc != scores.end() ? sc->second : mean_logprob(r);
        rec.voted = voters.count(r.thread_index) > 0;
        rec.text = s.text(t);
        rec.tokens = r.tokens;
        if (is_helper_role(r.role)) v.n_tokens_judge += r.n_tokens_prompt + r.n_generated;
        v.n_tokens_thinking += thinking_tokens(s, r);
        v.threads.push_back(std::move(rec));
    }
    v.n_tokens_total = s.n_tokens_total();
    v.n_tokens_prompt = s.n_tokens_prompt();
    v.wall_seconds = s.wall_seconds();
    v.kv_bytes_peak = s.kv_bytes_peak();
    if (v.status.empty() || v.status == "ok") v.status = s.status();
    if (v.votes.has_winner()) v.answer = v.votes.winner().answer;
}

}  // namespace tts::strategy
