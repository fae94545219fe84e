// strategy: shared helpers for strategy files.
#include "strategies/strategy.h"

#include <algorithm>
#include <cmath>

#include "strategies/answer/extract.h"

namespace tts::strategy {

std::vector<int32_t> prompt_of(session & s, const problem & p) {
    return p.prompt.empty() ? s.backend().encode_prompt(p.text) : p.prompt;
}

std::optional<std::string> answer_of(const session & s, thread_id t) {
    auto a = try_extract_answer(s.text(t));
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

vote_candidate candidate_of(const session & s, thread_id t, double weight, int64_t n_tokens) {
    const auto & r = s.thread(t);
    vote_candidate c;
    c.answer = answer_of(s, t);
    c.weight = std::isfinite(weight) ? weight : 0.0;
    c.n_tokens = n_tokens >= 0 ? n_tokens : r.n_generated;
    c.thread_index = r.thread_index;
    return c;
}

void finish_verdict(const session & s, verdict & v, const std::vector<thread_id> & voted) {
    v.threads.clear();
    for (thread_id t = 0; t < s.n_threads(); ++t) {
        const auto & r = s.thread(t);
        thread_record rec;
        rec.thread_index = r.thread_index;
        rec.role = r.role;
        rec.finish_reason = r.finish_name();
        rec.n_tokens = r.n_generated;
        rec.answer = answer_of(s, t);
        rec.confidence = mean_logprob(r);
        rec.voted = std::find(voted.begin(), voted.end(), t) != voted.end();
        rec.text = s.text(t);
        rec.tokens = r.tokens;
        v.threads.push_back(std::move(rec));
    }
    v.n_tokens_total = s.n_tokens_total();
    v.wall_seconds = s.wall_seconds();
    v.kv_bytes_peak = s.kv_bytes_peak();
    if (v.status.empty() || v.status == "ok") v.status = s.status();
    if (v.votes.has_winner()) v.answer = v.votes.winner().answer;
}

}  // namespace tts::strategy
