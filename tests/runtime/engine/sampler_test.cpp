#include "runtime/engine/sampler.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "kernels/cpu/vec.h"

using namespace tts::engine;

namespace {

// The sampler's rule written the slow, obvious way: full sort, then top-k, top-p, min-p, then
// one uniform draw from the same splitmix64 stream (no filter: no sort). The real sampler only
// sorts a head. Both take the tempered probabilities and their sum from the same vectorised
// kernel (checked against libm in tests/kernels/vec_test.cpp): this test is about the filters.
struct naive_sampler {
    sampling_params p;
    uint64_t state;

    double next_uniform() {
        uint64_t z = (state += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return double((z ^ (z >> 31)) >> 11) * 0x1.0p-53;
    }

    int32_t sample(const std::vector<float> & logits) {
        const float mx = *std::max_element(logits.begin(), logits.end());
        std::vector<float> prob(logits.size());
        const auto & vec = tts::kernels::cpu::vec_ops_for(tts::kernels::cpu::simd_level_active());
        const double all = vec.exp_sum(logits.data(), int64_t(logits.size()), mx, 1.0f / p.temperature, prob.data());
        std::vector<std::pair<float, int32_t>> c;
        for (int32_t i = 0; i < int32_t(logits.size()); ++i)
            if (prob[size_t(i)] > 0.0f) c.emplace_back(prob[size_t(i)], i);
        const bool has_filter = p.top_k > 0 || p.top_p < 1.0f || p.min_p > 0.0f;
        if (has_filter)  // without filters the draw walks the ids in order
            std::sort(c.begin(), c.end(), [](auto & a, auto & b) {
                return a.first > b.first || (a.first == b.first && a.second < b.second);
            });
        double total = all;
        if (p.top_k > 0 && size_t(p.top_k) < c.size()) {
            c.resize(size_t(p.top_k));
            total = 0;
            for (auto & x : c) total += x.first;
        }
        if (p.top_p < 1.0f) {
            double cum = 0;
            size_t n = 0;
            while (n < c.size() && cum < p.top_p * total) cum += c[n++].first;
            c.resize(std::max<size_t>(n, 1));
        }
        if (p.min_p > 0.0f) {
            size_t n = 1;
            while (n < c.size() && c[n].first >= p.min_p * c.front().first) ++n;
            c.resize(n);
        }
        double sum = 0;
        for (auto & x : c) sum += x.first;
        double r = next_uniform() * sum;
        for (auto & x : c)
            if ((r -= x.first) < 0) return x.second;
        return c.back().second;
    }
};

}  // namespace

TEST_CASE("sampler: sorting only a head gives exactly the full sort's samples") {
    namespace cpu = tts::kernels::cpu;
    const int32_t n_vocab = 5000;
    std::vector<float> logits(n_vocab);
    const sampling_params grid[] = {
        {0.7f, 0, 0.95f, 0.0f, 0},  {0.7f, 0, 0.5f, 0.0f, 0},  {1.5f, 0, 0.99f, 0.0f, 0},
        {0.3f, 0, 0.9f, 0.0f, 0},   {1.0f, 40, 0.9f, 0.0f, 0}, {1.0f, 0, 1.0f, 0.05f, 0},
        {2.0f, 0, 0.95f, 0.01f, 0}, {1.0f, 0, 1.0f, 0.0f, 0},  {1.0f, 3, 1.0f, 0.0f, 0},
    };
    for (int level = 0; level <= int(cpu::simd_level_supported()); ++level) {
        cpu::set_simd_level_for_testing(cpu::simd_level(level));
        std::mt19937 gen(3);
        for (const sampling_params & p : grid) {
            for (float spread : {1.0f, 4.0f, 12.0f}) {  // flat to peaked distributions
                CAPTURE(level);
                CAPTURE(p.temperature);
                CAPTURE(p.top_k);
                CAPTURE(p.top_p);
                CAPTURE(p.min_p);
                CAPTURE(spread);
                sampler fast(p, 42);
                naive_sampler slow{p, 42};
                std::normal_distribution<float> nd(0.0f, spread);
                for (int draw = 0; draw < 60; ++draw) {
                    for (float & l : logits) l = nd(gen);
                    if (draw % 7 == 0) logits[draw] = logits[draw + 1];  // exact ties break on the lower id
                    REQUIRE(fast.sample(logits.data(), n_vocab, nullptr) == slow.sample(logits));
                }
            }
        }
    }
    cpu::set_simd_level_for_testing(cpu::simd_level_supported());
}

TEST_CASE("sampler: greedy takes the first maximum; signals describe the untempered distribution") {
    std::vector<float> logits{1.0f, 3.0f, 3.0f, -2.0f};
    sampler s({0.0f, 0, 1.0f, 0.0f, 2}, 1);
    token_signals sig;
    CHECK(s.sample(logits.data(), 4, &sig) == 1);
    double z = 0;
    for (float l : logits) z += std::exp(double(l));
    CHECK(sig.logprob == doctest::Approx(3.0 - std::log(z)).epsilon(1e-5));
    REQUIRE(sig.top.size() == 2);
    CHECK(sig.top[0].first == 1);
    CHECK(sig.top[1].first == 2);
}

TEST_CASE("sampler: entropy and log-probs are those of the untempered distribution, -inf logits included") {
    // A wrong log-sum-exp (or NaN from a -inf logit times its zero probability) fails here.
    std::mt19937 gen(5);
    std::normal_distribution<float> nd(0.0f, 3.0f);
    std::vector<float> logits(151936);
    for (float & l : logits) l = nd(gen);
    for (size_t i = 0; i < logits.size(); i += 97) logits[i] = -INFINITY;   // masked tokens
    double mx = -INFINITY;
    for (float l : logits) mx = std::max(mx, double(l));
    double z = 0, ez = 0;
    for (float l : logits) {
        if (l == -INFINITY) continue;
        z += std::exp(double(l) - mx);
        ez += std::exp(double(l) - mx) * (double(l) - mx);
    }
    const double log_z = std::log(z), entropy = log_z - ez / z;
    sampler s({0.7f, 0, 0.95f, 0.0f, 20}, 9);
    token_signals sig;
    const int32_t tok = s.sample(logits.data(), int32_t(logits.size()), &sig);
    CHECK(sig.entropy == doctest::Approx(entropy).epsilon(1e-5));
    CHECK(sig.logprob == doctest::Approx(double(logits[size_t(tok)]) - mx - log_z).epsilon(1e-5));
    // The top 20 of a full sort (ties to the lower id), with their log-probs.
    std::vector<int32_t> ids(logits.size());
    for (size_t i = 0; i < ids.size(); ++i) ids[i] = int32_t(i);
    std::stable_sort(ids.begin(), ids.end(), [&](int32_t a, int32_t b) { return logits[size_t(a)] > logits[size_t(b)]; });
    REQUIRE(sig.top.size() == 20);
    for (size_t i = 0; i < 20; ++i) {
        CHECK(sig.top[i].first == ids[i]);
        CHECK(sig.top[i].second == doctest::Approx(double(logits[size_t(ids[i])]) - mx - log_z).epsilon(1e-5));
    }
}

TEST_CASE("sampler: top log-probs of a row with fewer finite logits than asked") {
    std::vector<float> logits(40, -INFINITY);
    logits[3] = 1.0f;
    logits[30] = 1.0f;
    logits[7] = -500.0f;   // far below the max: found by widening the scan
    sampler s({0.0f, 0, 1.0f, 0.0f, 5}, 1);
    token_signals sig;
    CHECK(s.sample(logits.data(), 40, &sig) == 3);
    REQUIRE(sig.top.size() == 3);
    CHECK(sig.top[0].first == 3);
    CHECK(sig.top[1].first == 30);
    CHECK(sig.top[2].first == 7);
}
