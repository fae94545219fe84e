// deepprune: "Parallel Scaling without Inter-trace Redundancy" (Tu et al., arXiv 2510.08483;
// docs/strategies.md §4), with training-free judges.
// Rule: spawn k threads that pause exactly at `truncate` generated tokens. In thread order
// (all reach the point on the same step), judge each against the clusters so far:
//   judge=probe (default): fork the paused trace, inject `probe_suffix` (an answer-forcing
//     "... The final answer is \boxed{"), greedy-decode `probe_tokens`, cancel the fork; the
//     canonical key of the probed answer is the trace's cluster (no answer: a new cluster).
//     A trace that finished before the point uses its own final answer.
//   judge=lexical: mean word-3-gram Jaccard to up to `compare` members of each cluster; join
//     the best cluster when >= tau.
//   judge=model: an instruct model (`judge_model`: a GGUF path, default the session's own
//     model) is asked whether the trace and each cluster's representative, as written so far,
//     will end with the same answer (strategies/trace_judge.h); join the first cluster it
//     says yes to. A trained judge such as DeepPrune-Judge-4B converted to GGUF fits here,
//     though its own prompt format is not reproduced.
// Each cluster's first trace (its representative) resumes; the others are cancelled
// (pruned_redundant). Degenerate cases: a single cluster keeps its first `degenerate_keep`
// members running. Vote: representatives' answers weighted by cluster size / members kept
// (only answered representatives vote, truncated ones too with truncated=vote); a thread's
// stored confidence is its vote weight.
#include <algorithm>
#include <set>
#include <sstream>

#include "strategies/answer/equivalent.h"
#include "strategies/answer/extract.h"
#include "strategies/strategy.h"
#include "strategies/trace_judge.h"

namespace tts::strategy {
namespace {

struct deepprune_params {
    int32_t k = 8;                  // threads sampled; YAML `k`
    int32_t truncate = 64;          // judge after this many generated tokens; YAML `truncate`
    std::string judge = "probe";    // probe | lexical | model; YAML `judge`
    std::string probe_suffix = "\n... The final answer is \\boxed{";   // YAML `probe_suffix`
    int32_t probe_tokens = 8;       // greedy tokens a probe decodes; YAML `probe_tokens`
    double tau = 0.5;               // lexical: similarity to join a cluster; YAML `tau`
    int32_t compare = 10;           // lexical: members compared per cluster; YAML `compare`
    int32_t degenerate_keep = 2;    // one cluster for everything: members kept running; YAML `degenerate_keep`
    std::string judge_model;        // model judge: GGUF path, empty = the session's model; YAML `judge_model`
    int32_t judge_tokens = 3;       // model judge: greedy reply tokens; YAML `judge_tokens`
    finish_policy finish;           // YAML `truncated`: ignore | vote

    static result<deepprune_params> from_map(const param_map & m) {
        deepprune_params p;
        param_reader r(m, "deepprune");
        r.get("k", p.k, 1, 4096);
        r.get("truncate", p.truncate, 1, 1 << 20);
        r.get("judge", p.judge, {"probe", "lexical", "model"});
        r.get("probe_suffix", p.probe_suffix);
        r.get("probe_tokens", p.probe_tokens, 1, 1024);
        r.get("tau", p.tau, 0.0, 1.0);
        r.get("compare", p.compare, 1, 1 << 16);
        r.get("degenerate_keep", p.degenerate_keep, 1, 4096);
        r.get("judge_model", p.judge_model);
        r.get("judge_tokens", p.judge_tokens, 1, 64);
        p.finish.read(r);
        if (status s = r.finish(); !s.is_ok()) return s;
        if (p.judge != "model" && !p.judge_model.empty())
            return status::invalid_argument("deepprune.judge_model: only used with judge=model");
        return p;
    }
    status check(const strategy_limits & l) const {
        if (l.max_tokens > 0 && truncate >= l.max_tokens)
            return param_error("deepprune", "truncate",
                               fmt::format("the judging point ({} tokens) is not before the end of every thread "
                                           "(max_tokens = {}), so nothing can ever be pruned",
                                           truncate, l.max_tokens));
        return check_threads("deepprune", k, l);
    }
};

std::set<std::string> trigrams(const std::string & text) {
    std::istringstream in(text);
    std::vector<std::string> w;
    for (std::string x; in >> x;) w.push_back(x);
    std::set<std::string> out;
    for (size_t i = 0; i + 2 < w.size(); ++i) out.insert(w[i] + " " + w[i + 1] + " " + w[i + 2]);
    if (w.size() < 3 && !w.empty()) out.insert(text);
    return out;
}

double jaccard(const std::set<std::string> & a, const std::set<std::string> & b) {
    if (a.empty() && b.empty()) return 1.0;
    size_t inter = 0;
    for (auto & x : a) inter += b.count(x);
    return double(inter) / double(a.size() + b.size() - inter);
}

// The answer a paused trace commits to when forced: fork, inject the suffix, decode greedily.
std::string probe_answer(session & s, thread_id t, const deepprune_params & p) {
    engine::generation_params gp = s.options().params;
    gp.sampling = {};   // greedy
    std::optional<thread_id> f = s.fork(t, {.params = gp, .inject = s.backend().tokenize(p.probe_suffix),
                                            .max_new_tokens = p.probe_tokens, .role = "probe"});
    if (!f) return "";
    s.join(std::vector<thread_id>{*f});
    const std::string text = s.text(*f);
    if (auto boxed = try_extract_boxed(text)) return *boxed;
    const size_t open = text.rfind('{');
    std::string tail = open == std::string::npos ? text : text.substr(open + 1);
    return tail.substr(0, tail.find('}'));
}

struct cluster {
    std::vector<thread_id> members;            // first = representative
    std::string key;                           // probe judge
    std::vector<std::set<std::string>> grams;  // lexical judge, per compared member
};

verdict run_deepprune(session & s, const problem & pb, const deepprune_params & p) {
    spawn_options o{.n = p.k};
    o.rules.pause_at = p.truncate;
    std::vector<thread_id> threads = s.spawn(prompt_of(s, pb), o);

    std::unique_ptr<trace_judge> judge;
    if (p.judge == "model") {
        auto j = trace_judge::open(s, {.model = p.judge_model, .reply_tokens = p.judge_tokens});
        if (!j) {
            s.cancel(threads);
            s.join(threads);
            verdict v;
            finish_verdict(s, v, {});
            v.status = "error: deepprune " + j.error().message();
            return v;
        }
        judge = std::move(j).value();
    }
    std::vector<cluster> clusters;
    int64_t n_probe_tokens = 0;
    for (thread_id t : threads) {
        s.wait_tokens(t, p.truncate);   // paused at the point, or finished before it
        const auto & r = s.thread(t);
        if (r.is_ended && !r.counts_as_finished(p.finish.with_truncated)) continue;  // cut by a budget, failed
        cluster * home = nullptr;
        if (p.judge == "probe") {
            std::string key;
            if (r.is_ended) {
                if (auto a = answer_of(s, t)) key = answer_key(*a);
            } else {
                const int32_t before = s.n_threads();
                key = answer_key(probe_answer(s, t, p));
                for (thread_id f = before; f < s.n_threads(); ++f) n_probe_tokens += s.thread(f).n_generated;
            }
            for (auto & c : clusters)
                if (!key.empty() && c.key == key) home = &c;
            if (!home) clusters.push_back({{}, key, {}});
        } else if (judge) {
            std::vector<std::string> reps;
            for (auto & c : clusters) reps.push_back(s.text(c.members.front()));
            std::vector<bool> same = judge->same_answer(pb.text, s.text(t), reps);
            for (size_t i = 0; i < same.size() && !home; ++i)
                if (same[i]) home = &clusters[i];
            if (!home) clusters.push_back({{}, "", {}});
        } else {
            auto g = trigrams(s.text(t));
            double best = -1;
            for (auto & c : clusters) {
                double sum = 0;
                for (auto & m : c.grams) sum += jaccard(g, m);
                const double sim = sum / double(c.grams.size());
                if (sim >= p.tau && sim > best) best = sim, home = &c;
            }
            if (!home) clusters.push_back({{}, "", {}});
            cluster & c = home ? *home : clusters.back();
            if (int32_t(c.grams.size()) < p.compare) c.grams.push_back(std::move(g));
        }
        (home ? *home : clusters.back()).members.push_back(t);
    }

    // Representatives (or, for one cluster holding everything, its first members) go on.
    std::vector<thread_id> kept;
    std::vector<double> weight;
    const bool one_cluster = clusters.size() == 1 && threads.size() > 1;
    for (auto & c : clusters) {
        const size_t n_keep = one_cluster ? std::min<size_t>(c.members.size(), size_t(p.degenerate_keep)) : 1;
        for (size_t i = 0; i < c.members.size(); ++i) {
            if (i < n_keep) {
                kept.push_back(c.members[i]);
                weight.push_back(double(c.members.size()) / double(n_keep));
                s.resume(c.members[i]);
            } else {
                s.cancel(c.members[i], controller::stop_cause::pruned_redundant);
            }
        }
    }
    s.join(threads);

    std::vector<vote_candidate> c;
    std::map<thread_id, double> weights;
    for (size_t i = 0; i < kept.size(); ++i) {
        c.push_back(candidate_of(s, kept[i], p.finish, weight[i]));
        weights[kept[i]] = weight[i];
    }
    verdict v;
    v.votes = vote(c, {vote_score::weight, tie_break::shortest});
    v.n_tokens_sequential = longest_chain(s, kept);
    v.n_tokens_sequential += n_probe_tokens;   // probes run one after another at the truncation point
    if (judge) v.n_tokens_sequential += judge->n_tokens_sequential();
    finish_verdict(s, v, weights);
    if (judge) {  // a separate judge model's session: its prompts and replies
        v.n_tokens_total += judge->n_tokens_own_session();
        v.n_tokens_prompt += judge->n_tokens_prompt_own_session();
        v.n_tokens_judge += judge->n_tokens_own_session() + judge->n_tokens_prompt_own_session();
    }
    return v;
}

}  // namespace

strategy_entry deepprune_strategy() {
    return make_entry<deepprune_params>("deepprune", "prune traces judged redundant at a truncation point (probe/lexical judge)",
                                        run_deepprune);
}

}  // namespace tts::strategy
