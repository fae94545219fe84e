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
// Only answered traces score the threshold and vote (truncated ones too with truncated=vote).
// Each trace's stored confidence is the score that weighted (or filtered) it. Sequential
// tokens: the longest warm-up trace plus the longest final one.
#include <algorithm>
#include <cmath>

#include "strategies/strategy.h"

namespace tts::strategy {
namespace {

// Traces of n that score >= percentile(scores, 100 - keep_percent) when the scores are distinct
// (numpy linear interpolation: every value at or above the interpolation point's upper index).
int32_t n_kept(int32_t n, double keep_percent) {
    const double pos = (100.0 - keep_percent) / 100.0 * double(n - 1);
    return n - int32_t(std::ceil(pos));
}

struct deepconf_params {
    std::string mode = "online";     // online | offline; YAML `mode`
    int32_t k = 32;                  // total traces (warm-up included; paper: 512); YAML `k`
    int32_t n_init = 16;             // online warm-up traces (paper: 16); YAML `n_init`
    int32_t window = 2048;           // group window in tokens; YAML `window`
    double keep_percent = 10;        // eta: percent of traces kept (10 low, 90 high); YAML `keep_percent`
    int32_t top_logprobs = 20;       // k of the token confidence; YAML `top_logprobs`
    std::string score = "lowest_group";  // offline: lowest_group | bottom10 | tail | mean; YAML `score`
    finish_policy finish;                // YAML `truncated`: ignore | vote

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
        p.finish.read(r);
        if (status s = r.finish(); !s.is_ok()) return s;
        if (p.mode == "online" && p.n_init >= p.k)
            return param_error("deepconf", "n_init",
                               fmt::format("expected n_init < k ({}), got \"{}\" (no final phase would "
                                           "be left to stop early)",
                                           p.k, p.n_init));
        return p;
    }

    // Settings under which DeepConf cannot work as the paper's rule: a window no thread can
    // fill (early stopping never fires, the group score is the whole-trace mean), and a
    // warm-up threshold that lets fewer than two warm-up traces vote.
    status check(const strategy_limits & l) const {
        const bool uses_window = mode == "online" || score != "mean";
        if (uses_window && l.max_tokens > 0 && window > l.max_tokens)
            return param_error(
                "deepconf", "window",
                fmt::format("a group window of {} tokens is longer than any thread (max_tokens = {}), so {}; "
                            "use window <= max_tokens",
                            window, l.max_tokens,
                            mode == "online" ? "early stopping can never fire" : "every score is a whole-trace mean"));
        if (mode == "online" && n_kept(n_init, keep_percent) < 2) {
            int32_t need = n_init;
            while (n_kept(need, keep_percent) < 2 && need < (1 << 16)) ++need;
            return param_error(
                "deepconf", "n_init",
                fmt::format("with keep_percent = {} only {} of n_init = {} warm-up traces can clear the "
                            "threshold (percentile {}), so the warm-up vote is one trace; use n_init >= {} "
                            "(and k > n_init) or a larger keep_percent",
                            keep_percent, n_kept(n_init, keep_percent), n_init, 100 - keep_percent, need));
        }
        return check_threads("deepconf", mode == "online" ? std::max(n_init, k - n_init) : k, l);
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
    if (p.mode == "online") return lowest_group_confidence(t, p.window);
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
    std::map<thread_id, double> score;  // every trace's score (stored as its confidence)
    std::vector<double> finished;
    for (thread_id t : first) {
        score[t] = score_of(s.thread(t), p);
        if (s.thread(t).counts_as_finished(p.finish.with_truncated)) finished.push_back(score[t]);
    }
    verdict v;
    if (finished.empty()) {
        v.status = online ? "no warm-up trace finished" : "no trace finished";
        finish_verdict(s, v, score);
        return v;
    }
    const double bar = percentile(finished, 100.0 - p.keep_percent);

    // Voters: traces that finished (not stopped early, not cut by a budget), warm-up and
    // offline ones only when they clear the bar; weighted by their score.
    std::vector<vote_candidate> c;
    auto consider = [&](thread_id t, bool need_bar) {
        if (need_bar && score[t] < bar) return;
        c.push_back(candidate_of(s, t, p.finish, score[t]));
    };
    for (thread_id t : first) consider(t, true);

    // Final phase: the rest, each stopped as soon as its window confidence drops below the bar.
    std::vector<thread_id> rest;
    if (online) {
        spawn_options o{.n = p.k - p.n_init, .params = gp, .role = "final"};
        o.rules.conf_window = p.window;
        o.rules.conf_threshold = bar;
        rest = s.spawn(prompt, o);
        s.join(rest);
        for (thread_id t : rest) {
            score[t] = score_of(s.thread(t), p);
            consider(t, false);
        }
    }
    v.votes = vote(c, {vote_score::weight, tie_break::first});
    v.n_tokens_sequential = longest_chain(s, first) + longest_chain(s, rest);  // one phase after the other
    finish_verdict(s, v, score);
    return v;
}

}  // namespace

strategy_entry deepconf_strategy() {
    return make_entry<deepconf_params>("deepconf", "confidence-filtered weighted vote (online early stop or offline filter)",
                                       run_deepconf);
}

}  // namespace tts::strategy
