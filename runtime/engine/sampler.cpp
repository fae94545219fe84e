// Sampling and signals. The RNG is splitmix64 — tiny, fast and identical on every platform,
// unlike std:: distributions whose outputs the standard leaves to the implementation.
#include "runtime/engine/sampler.h"

#include <algorithm>
#include <cmath>

#include "runtime/base/check.h"

namespace tts::engine {
namespace {

uint64_t splitmix64(uint64_t & x) {
    uint64_t z = (x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

int32_t argmax(const float * x, int32_t n) {
    int32_t best = 0;
    for (int32_t i = 1; i < n; ++i)
        if (x[i] > x[best]) best = i;
    return best;
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

int32_t sampler::sample(const float * logits, int32_t n_vocab, token_signals * signals) {
    const float max_logit = logits[argmax(logits, n_vocab)];
    int32_t chosen;
    if (p_.temperature <= 0.0f) {
        chosen = argmax(logits, n_vocab);
    } else {
        // Tempered probabilities, unnormalised, then filters over a sorted candidate list.
        cand_.clear();
        const float inv_t = 1.0f / p_.temperature;
        for (int32_t i = 0; i < n_vocab; ++i) {
            float pr = std::exp((logits[i] - max_logit) * inv_t);
            if (pr > 0.0f) cand_.emplace_back(pr, i);
        }
        auto by_prob = [](const auto & a, const auto & b) { return a.first > b.first || (a.first == b.first && a.second < b.second); };
        size_t keep = cand_.size();
        if (p_.top_k > 0 && size_t(p_.top_k) < keep) keep = size_t(p_.top_k);
        // Sorting 50k candidates costs more than the rest of sampling, and the filters only read
        // a short head of the order: sort a growing head until it holds everything top-p and
        // min-p keep. The head of a partial sort equals that of a full sort (by_prob is a strict
        // total order), so the sample is the one a full sort would give.
        double total = 0;  // the mass top-p is measured against: every candidate, or the top k
        for (auto & c : cand_) total += c.first;
        if (p_.top_k > 0 || p_.top_p < 1.0f || p_.min_p > 0.0f) {
            size_t head = p_.top_k > 0 ? keep : std::min<size_t>(keep, 64);
            for (;;) {
                std::partial_sort(cand_.begin(), cand_.begin() + head, cand_.end(), by_prob);
                if (head == keep) break;
                double cum = 0;
                for (size_t i = 0; i < head; ++i) cum += cand_[i].first;
                const bool top_p_inside = p_.top_p >= 1.0f || cum >= p_.top_p * total;
                const bool min_p_inside = p_.min_p <= 0.0f || cand_[head - 1].first < p_.min_p * cand_[0].first;
                if (top_p_inside && min_p_inside) break;
                head = std::min(keep, head * 8);
            }
            cand_.resize(head);
            if (p_.top_k > 0) {
                total = 0;
                for (auto & c : cand_) total += c.first;
            }
        }
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
    }
    if (signals) {
        double z = 0, ez = 0;
        for (int32_t i = 0; i < n_vocab; ++i) {
            double d = double(logits[i]) - max_logit;
            double e = std::exp(d);
            z += e;
            ez += e * d;
        }
        const double log_z = std::log(z);
        signals->logprob = float(double(logits[chosen]) - max_logit - log_z);
        signals->entropy = float(log_z - ez / z);
        signals->top.clear();
        if (p_.n_top_logprobs > 0) {
            std::vector<std::pair<float, int32_t>> top(size_t(p_.n_top_logprobs), {-INFINITY, -1});
            for (int32_t i = 0; i < n_vocab; ++i) {
                if (logits[i] <= top.back().first) continue;
                auto it = std::upper_bound(top.begin(), top.end(), logits[i], [](float v, const auto & e) { return v > e.first; });
                top.insert(it, {logits[i], i});
                top.pop_back();
            }
            for (auto & [l, id] : top)
                if (id >= 0) signals->top.emplace_back(id, float(double(l) - max_logit - log_z));
        }
    }
    return chosen;
}

}  // namespace tts::engine
