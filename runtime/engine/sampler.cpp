// Sampling and signals. The RNG is splitmix64 — tiny, fast and identical on every platform,
// unlike std:: distributions whose outputs the standard leaves to the implementation.
//
// Speed (a 152k vocabulary makes every pass over the logits count): the argmax, the tempered
// probabilities with their sum, and the log-sum-exp / entropy sums are one vectorised pass each
// (kernels/cpu/vec.h); the filters sort, and the top log-probs scan, only the candidates above
// a threshold (found by a vectorised compare).
#include "runtime/engine/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "kernels/cpu/vec.h"
#include "runtime/base/check.h"

namespace tts::engine {
namespace {

uint64_t splitmix64(uint64_t & x) {
    uint64_t z = (x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

const kernels::cpu::vec_ops & vec() { return kernels::cpu::vec_ops_for(kernels::cpu::simd_level_active()); }

// (prob, id) by descending probability, ties to the lower id: a strict total order.
bool by_prob(const std::pair<float, int32_t> & a, const std::pair<float, int32_t> & b) {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
}

}  // namespace

uint64_t thread_seed(uint64_t seed, uint64_t thread_index) {
    uint64_t s = seed ^ 0x5DEECE66Dull;
    uint64_t a = splitmix64(s);
    uint64_t t = a ^ (thread_index * 0xD1B54A32D192ED03ull);
    return splitmix64(t);
}

sampler::sampler(const sampling_params & p, uint64_t stream_seed) : p_(p), state_(stream_seed) {
    TTS_CHECK(p.n_top_logprobs >= 0 && p.n_top_logprobs <= 20, "n_top_logprobs %d outside 0..20", p.n_top_logprobs);
}

double sampler::next_uniform() { return double(splitmix64(state_) >> 11) * 0x1.0p-53; }

// The sorted head of the candidates that the filters read: every probability >= tau, for the
// largest tau (1/256, 1/256^2, ..., 0) under which top-k, top-p and min-p all stop inside the
// head. Every candidate outside is smaller than every one inside, so the head is exactly the
// start of the full sort, and the filters below pick what they would pick from the full sort.
// Sets total to the mass top-p measures against (all candidates, or the top k).
void sampler::sorted_head(const float * prob, int32_t n_vocab, double & total) {
    const double all = total;
    idx_.resize(size_t(n_vocab));
    for (float tau = 1.0f / 256;; tau = tau > 1e-30f ? tau / 256 : 0.0f) {
        // prob >= tau, and > 0 when tau is 0 (the smallest subnormal is the least positive float).
        const int64_t n = vec().select_ge(prob, n_vocab, std::max(tau, std::numeric_limits<float>::denorm_min()),
                                          idx_.data());
        cand_.clear();
        for (int64_t i = 0; i < n; ++i) cand_.emplace_back(prob[idx_[size_t(i)]], idx_[size_t(i)]);
        std::sort(cand_.begin(), cand_.end(), by_prob);
        if (tau == 0.0f) break;
        bool inside = true;
        size_t n_read = cand_.size();   // candidates the top-p walk may read
        if (p_.top_k > 0) {
            inside = cand_.size() >= size_t(p_.top_k);
            n_read = std::min(n_read, size_t(p_.top_k));
            total = 0;
            for (size_t i = 0; i < n_read; ++i) total += cand_[i].first;
        }
        if (inside && p_.top_p < 1.0f) {
            // The walk stops inside when the head's mass reaches the target, added in the
            // walk's own order (so rounding cannot differ from the walk's).
            double cum = 0;
            for (size_t i = 0; i < n_read; ++i) cum += cand_[i].first;
            inside = cum >= p_.top_p * (p_.top_k > 0 ? total : all);
        }
        if (inside && p_.min_p > 0.0f) inside = tau <= p_.min_p * cand_.front().first;
        if (inside) break;
    }
    if (p_.top_k > 0 && cand_.size() > size_t(p_.top_k)) cand_.resize(size_t(p_.top_k));
    total = all;
    if (p_.top_k > 0) {
        total = 0;
        for (auto & c : cand_) total += c.first;
    }
}

// The n_top_logprobs largest logits, best first (ties to the lower id), as log-probs. Only the
// logits within a margin of the max are scanned, the margin doubling until it holds enough:
// everything outside is below everything inside, so the result is that of a full scan.
void sampler::top_logprobs(const float * logits, int32_t n_vocab, float max_logit, double log_z,
                           std::vector<std::pair<int32_t, float>> & out) {
    idx_.resize(size_t(n_vocab));
    int64_t n = 0;
    for (float margin = 8.0f;; margin *= 2) {
        const float t = margin > 1e4f ? -INFINITY : max_logit - margin;
        n = vec().select_ge(logits, n_vocab, t, idx_.data());
        if (n >= p_.n_top_logprobs || t == -INFINITY) break;
    }
    std::vector<std::pair<float, int32_t>> top(size_t(p_.n_top_logprobs), {-INFINITY, -1});
    for (int64_t k = 0; k < n; ++k) {
        const int32_t i = idx_[size_t(k)];
        if (logits[i] <= top.back().first) continue;
        auto it = std::upper_bound(top.begin(), top.end(), logits[i], [](float x, const auto & e) { return x > e.first; });
        top.insert(it, {logits[i], i});
        top.pop_back();
    }
    for (auto & [l, id] : top)
        if (id >= 0) out.emplace_back(id, float(double(l) - max_logit - log_z));
}

int32_t sampler::sample(const float * logits, int32_t n_vocab, token_signals * signals) {
    const kernels::cpu::vec_ops & v = vec();
    const int32_t best = int32_t(v.argmax(logits, n_vocab));
    const float max_logit = logits[best];
    int32_t chosen = best;
    if (p_.temperature > 0.0f) {
        // Tempered probabilities, unnormalised (the largest is exactly 1).
        prob_.resize(size_t(n_vocab));
        double total = v.exp_sum(logits, n_vocab, max_logit, 1.0f / p_.temperature, prob_.data());
        if (p_.top_k > 0 || p_.top_p < 1.0f || p_.min_p > 0.0f) {
            sorted_head(prob_.data(), n_vocab, total);
            if (p_.top_p < 1.0f) {
                double cum = 0;
                size_t n = 0;
                while (n < cand_.size() && cum < p_.top_p * total) cum += cand_[n++].first;
                cand_.resize(std::max<size_t>(n, 1));
            }
            if (p_.min_p > 0.0f) {
                const float floor = p_.min_p * cand_.front().first;
                size_t n = 1;
                while (n < cand_.size() && cand_[n].first >= floor) ++n;
                cand_.resize(n);
            }
            double sum = 0;
            for (auto & c : cand_) sum += c.first;
            double r = next_uniform() * sum;
            chosen = cand_.back().second;
            for (auto & c : cand_) {
                r -= c.first;
                if (r < 0) { chosen = c.second; break; }
            }
        } else {
            // No filter: the draw walks the ids in order, over the whole mass.
            double r = next_uniform() * total;
            for (int32_t i = 0; i < n_vocab; ++i) {
                if (prob_[size_t(i)] <= 0.0f) continue;
                chosen = i;
                r -= prob_[size_t(i)];
                if (r < 0) break;
            }
        }
    }
    if (signals) {
        double z = 0, ez = 0;
        v.exp_moments(logits, n_vocab, max_logit, &z, &ez);
        const double log_z = std::log(z);
        signals->logprob = float(double(logits[chosen]) - max_logit - log_z);
        signals->entropy = float(log_z - ez / z);
        signals->top.clear();
        if (p_.n_top_logprobs > 0) top_logprobs(logits, n_vocab, max_logit, log_z, signals->top);
    }
    return chosen;
}

}  // namespace tts::engine
