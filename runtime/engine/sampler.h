// sampler: turns one row of logits into a token, plus the per-token signals strategies read.
//
// Each reasoning thread owns one sampler whose RNG stream is seeded from (request seed,
// thread index), so a thread's tokens never depend on what else shares the batch. Greedy when
// temperature == 0. Filters apply in the order top-k, top-p, min-p over the tempered
// distribution. Signals (log-prob of the chosen token, entropy, top log-probs) are always
// computed on the untempered distribution, as DeepConf and the papers define them.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

namespace tts::engine {

struct sampling_params {
    float temperature = 0.0f;   // 0: greedy (argmax, ties to the lowest id)
    int32_t top_k = 0;          // 0: off
    float top_p = 1.0f;         // 1: off
    float min_p = 0.0f;         // 0: off
    int32_t n_top_logprobs = 0; // 0..20: also report this many top log-probs per token
};

struct token_signals {
    float logprob = 0.0f;                              // log p(chosen token)
    float entropy = 0.0f;                              // -sum p log p, nats
    std::vector<std::pair<int32_t, float>> top;        // (id, log p), best first; size n_top_logprobs
};

// The RNG stream of thread `thread_index` of a request seeded with `seed`.
uint64_t thread_seed(uint64_t seed, uint64_t thread_index);

class sampler {
public:
    sampler(const sampling_params & p, uint64_t stream_seed);

    // REQUIRES: logits has n_vocab finite-or-minus-infinity values, at least one finite.
    int32_t sample(const float * logits, int32_t n_vocab, token_signals * signals);
    const sampling_params & params() const { return p_; }
    // New settings, same RNG state (a fork that changes params but keeps its stream).
    // REQUIRES: 0 <= p.n_top_logprobs <= 20.
    void set_params(const sampling_params & p) { p_ = p; }

private:
    double next_uniform();   // [0, 1), 53 random bits
    void sorted_head(const float * prob, int32_t n_vocab, double & total);
    void top_logprobs(const float * logits, int32_t n_vocab, float max_logit, double log_z,
                      std::vector<std::pair<int32_t, float>> & out);
    sampling_params p_;
    uint64_t state_;
    std::vector<float> prob_;                       // scratch: [n_vocab] tempered probabilities
    std::vector<std::pair<float, int32_t>> cand_;   // scratch: (prob, id), sorted head
    std::vector<int32_t> idx_;                      // scratch: [n_vocab] selected ids
};

}  // namespace tts::engine
