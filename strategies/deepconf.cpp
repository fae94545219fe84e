// deepconf: "Deep Think with Confidence" (Fu et al., arXiv 2508.15260; docs/strategies.md §6).
// Token confidence C_i = -mean of the top-k log-probs (k = n_top_logprobs, 20). Trace score
// (offline `score`): lowest group confidence (min over sliding windows of `window` tokens;
// the whole-trace mean when shorter), bottom-10% of window means, tail window, or mean.
// offline: spawn k, run all; keep traces with score >= the (100 - keep_percent)-th percentile
//   (numpy linear interpolation); vote weighted by score. Ties: first (lowest thread index).
// online: warm-up n_init threads run to the end; threshold s = percentile(lowest group
//   confidences, 100 - keep_percent) (keep_percent 10 = DeepConf-low, 90 = DeepConf-high);
//   then k - n_init threads, each stopped at the decode step where its window mean drops below
//   s (never before `window` tokens; exact, on the decoding thread). Vote: warm-up traces with
//   score >= s plus final traces not stopped early, weighted by lowest group confidence.
#include <algorithm>
#include <cmath>

#include "strategies/strategy.h"

namespace tts::strategy {
namespace {

struct deepconf_params {
    std::string mode = "online";     // online | offline; YAML `mode`
    int32_t k = 16;                  // total traces (warm-up included); YAML `k`
    int32_t n_init = 4;              // online warm-up traces (paper: 16); YAML `n_init`
    int32_t window = 2048;           // group window in tokens; YAML `window`
    double keep_percent = 10;        // eta: percent of traces kept (10 low, 90 high); YAML `keep_percent`
    int32_t top_logprobs = 20;       // k of the token confidence; YAML `top_logprobs`
    std::string score = "lowest_group";  // offline: lowest_group | bottom10 | tail | mean; YAML `score`

    static result<deepconf_params> from_map(const param_map & m) {
        deepconf_params p;
        param_reader r(m, "deepconf");
        r.get("mode", p.mode, {"online", "offline"});
        r.get("k", p.k, 1, 1 << 16);
        r.get("n_init", p.n_init, 1, 1 << 16);
        r.get("window", p.window, 1, 1 << 20);
        r.get("keep_percent", p.keep_percent, 0.0, 100.0);
        r.get("top_logprobs", p.top_logprobs, 1, 20);
        r.get("score", p.score, {"lowest_group", "bottom10", "tail", "mean"});
        if (status s = r.finish(); !s.is_ok()) return s;
        if (p.mode == "online" && p.n_init > p.k)
            return status::invalid_argument("deepconf.n_init: expected n_init <= k (" + std::to_string(p.k) + "), got \"" +
                                            std::to_string(p.n_init) + "\"");
        return p;
    }
};

// numpy.percentile with linear interpolation. REQUIRES: !v.empty().
double percentile(std::vector<double> v, double q) {
    std::sort(v.begin(), v.end());
    const double pos = q / 100.0 * double(v.size() - 1);
    const size_t lo = size_t(std::floor(pos)), hi = size_t(std::ceil(pos));
    return v[lo] + (v[hi] - v[lo]) * (pos - double(lo));
}

double score_of(const controller::thread_info & t, const deepconf_params & p) {
    if (p.score == "bottom10") return bottom_percent_confidence(t, p.window, 10.0);
    if (p.score == "tail") return tail_confidence(t, p.window);
    if (p.score == "mean") return mean_confidence(t);
    return lowest_group_confidence(t, p.window);
}

verdict run_deepconf(session & s, const problem & pb, const deepconf_params & p) {
    const std::vector<int32_t> prompt = prompt_of(s, pb);
    engine::generation_params gp = s.options().params;
    gp.sampling.n_top_logprobs = p.top_logprobs;
    const bool online = p.mode == "online";

    // Warm-up (online) or the whole pool (offline): run to the end, score.
    std::vector<thread_id> first = s.spawn(prompt, {.n = online ? p.n_init : p.k, .params = gp, .role = online ? "warmup" : "sample"});
    s.join(first);
    std::vector<double> scores;
    for (thread_id t : first)
        if (s.thread(t).is_finished()) scores.push_back(online ? lowest_group_confidence(s.thread(t), p.window) : score_of(s.thread(t), p));
    verdict v;
    if (scores.empty()) {
        v.status = "no warm-up trace finished";
        finish_verdict(s, v, {});
        return v;
    }
    const double bar = percentile(scores, 100.0 - p.keep_percent);

    std::vector<vote_candidate> c;
    std::vector<thread_id> voted;
    auto consider = [&](thread_id t, bool need_bar) {
        const auto & r = s.thread(t);
        if (!r.is_finished()) return;   // early-stopped, cancelled by a budget
        const double w = online ? lowest_group_confidence(r, p.window) : score_of(r, p);
        if (need_bar && w < bar) return;
        c.push_back(candidate_of(s, t, w));
        voted.push_back(t);
    };
    for (thread_id t : first) consider(t, true);

    // Final phase: the rest, each stopped as soon as its window confidence drops below the bar.
    std::vector<thread_id> rest;
    if (online && p.k > p.n_init) {
        spawn_options o{.n = p.k - p.n_init, .params = gp, .role = "final"};
        o.rules.conf_window = p.window;
        o.rules.conf_threshold = bar;
        rest = s.spawn(prompt, o);
        s.join(rest);
        for (thread_id t : rest) consider(t, false);
    }
    v.votes = vote(c, {vote_score::weight, tie_break::first});
    for (thread_id t = 0; t < s.n_threads(); ++t)
        v.n_tokens_sequential = std::max<int64_t>(v.n_tokens_sequential, s.thread(t).n_generated);
    if (online) v.n_tokens_sequential *= 2;   // warm-up then final phase, one after the other (upper bound)
    finish_verdict(s, v, voted);
    return v;
}

}  // namespace

strategy_entry deepconf_strategy() {
    return make_entry<deepconf_params>("deepconf", "confidence-filtered weighted vote (online early stop or offline filter)",
                                       run_deepconf);
}

}  // namespace tts::strategy
